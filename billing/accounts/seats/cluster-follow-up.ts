/**
 * What a seat or workstation change must do in the cluster once its transaction committed: Postgres is the
 * truth and decides in the transaction; the cluster follows after the commit, best effort (a failure is
 * logged; the periodic resync converges Workstations, and a container whose session ended is refused at
 * its next heartbeat either way).
 */
import type { Logger } from "pino";
import type { ClusterFeed } from "../../cluster/feed.js";
import type { Queryable } from "../../db/queryable.js";
import { markEndedInCluster } from "../../sessions/admission.js";
import type { SessionCluster } from "../../sessions/cluster.js";
import { type SessionRow, sessionUsers } from "../../sessions/store.js";

export interface ClusterFollowUp {
  /** Sessions ended in the transaction (their ContainerSession status is written terminated). */
  endedSessions: SessionRow[];
  /** Multi-user sessions whose users changed (their status.users is rewritten). */
  usersChangedSessionIds: string[];
  /** Licenses whose Workstation resources must be converged (spec.user, desiredState). */
  licenseIds: string[];
}

export const emptyFollowUp = (): ClusterFollowUp => ({
  endedSessions: [],
  usersChangedSessionIds: [],
  licenseIds: [],
});

export function mergeFollowUps(...parts: ClusterFollowUp[]): ClusterFollowUp {
  return {
    endedSessions: parts.flatMap((p) => p.endedSessions),
    usersChangedSessionIds: [...new Set(parts.flatMap((p) => p.usersChangedSessionIds))],
    licenseIds: [...new Set(parts.flatMap((p) => p.licenseIds))],
  };
}

export interface FollowUpPorts {
  db: Queryable;
  logger: Logger;
  kube?: ClusterFeed | undefined;
  sessions?: SessionCluster | undefined;
  now: Date;
}

/** Applies a committed change to the cluster. Never throws: each step logs its own failure. */
export async function applyClusterFollowUp(ports: FollowUpPorts, followUp: ClusterFollowUp): Promise<void> {
  const { logger, now } = ports;
  for (const session of followUp.endedSessions) {
    await markEndedInCluster(
      { cluster: ports.sessions, logger },
      session,
      "terminated",
      session.reason ?? "",
      now,
    );
  }
  if (ports.sessions) {
    for (const id of followUp.usersChangedSessionIds) {
      try {
        const row = (await ports.db.query<SessionRow>("SELECT * FROM container_sessions WHERE id = $1", [id]))
          .rows[0];
        if (!row?.resource_name) continue;
        const users = await sessionUsers(ports.db, id);
        await ports.sessions.patchSessionStatus(row.organization, row.resource_name, { users });
      } catch (err) {
        logger.warn({ err, sessionId: id }, "could not write a session's users to the cluster");
      }
    }
  }
  if (ports.kube) {
    for (const licenseId of followUp.licenseIds) {
      try {
        await ports.kube.syncLicense(licenseId);
      } catch (err) {
        logger.warn({ err, licenseId }, "could not converge the license's Workstations; the resync retries");
      }
    }
  }
}
