/**
 * A rotated license key ends, at once, every container session validated with the old key (issue 13 §8,
 * docs/adr/0170). Sessions admitted through a workstation's identity token never held the key and keep
 * running. In Postgres inside the rotation's transaction; the ContainerSession resources follow after the
 * commit, written by billing as every other billing-decided end is (the License stays active, so the
 * operator has no reason to end them itself).
 */
import type { Logger } from "pino";
import { loadKubeCredentials } from "../cluster/credentials.js";
import type { Queryable } from "../db/queryable.js";
import type { BillingDeps } from "../deps.js";
import { markEndedInCluster } from "./admission.js";
import { KubeSessionCluster, type SessionCluster } from "./cluster.js";
import { auditTerminatedSessions, type SessionRow } from "./store.js";

/** The reason on sessions ended by a key rotation (session row, ContainerSession status, audit). */
export const KEY_ROTATED_REASON = "KeyRotated";

/**
 * Terminates the active key-bound sessions of a license in the caller's transaction (the one that rotates
 * the key, under the license row lock, so no validate with the old key can slip in: admission re-checks the
 * key hash under the same lock). Sessions admitted through a workstation's identity (principal `workstation:…`, ADR 0151) never held
 * the key and stay; rows from before the principal column (NULL) count as key-bound.
 * One audit record names every ended session. Returns the rows as they were before the end.
 */
export async function endKeyBoundSessions(
  tx: Queryable,
  licenseId: string,
  actor: string,
  now: Date,
): Promise<SessionRow[]> {
  const ended = await tx.query<SessionRow>(
    `UPDATE container_sessions SET state = 'terminated', reason = $2, ended_at = $3
      WHERE license_id = $1 AND state = 'active' AND (principal IS NULL OR principal NOT LIKE 'workstation:%')
      RETURNING *`,
    [licenseId, KEY_ROTATED_REASON, now],
  );
  await auditTerminatedSessions(tx, ended.rows, { actor, reason: KEY_ROTATED_REASON, now });
  return ended.rows;
}

/**
 * Writes the ends to the ContainerSession resources (after the commit). Best effort per session: one that
 * cannot be written stays "active" in the cluster until the operator expires it for missed heartbeats —
 * the container itself is refused at its next heartbeat either way, since Postgres is the truth.
 */
export async function markRotationEndsInCluster(
  cluster: SessionCluster | undefined,
  logger: Logger,
  sessions: SessionRow[],
  now: Date,
): Promise<void> {
  if (!cluster) return;
  for (const session of sessions)
    await markEndedInCluster({ cluster, logger }, session, "terminated", KEY_ROTATED_REASON, now);
}

/** Billing's own session cluster client (the same credentials as the sessions API), or undefined without one. */
export function sessionClusterFromConfig(deps: Pick<BillingDeps, "config">): SessionCluster | undefined {
  const credentials = loadKubeCredentials(deps.config.kubernetes);
  return credentials.source === "none" ? undefined : new KubeSessionCluster(credentials.connection);
}
