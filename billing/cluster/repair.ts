/**
 * Recreates what Postgres holds and the cluster lost (an etcd restore, a deleted namespace, an API server
 * that lost its state): License resources (with their namespace and Workstations), Workstation resources
 * and the ContainerSessions of live sessions. One label-selected list per kind and one query per table, so
 * it can run every few seconds (docs/adr/0125). Nothing is deleted here: orphans are the resync's business.
 */
import type { Logger } from "pino";
import {
  type ContainerSession,
  ContainerSessionResource,
  LicenseResource,
  WorkstationResource,
} from "../../crds/types.js";
import { TIMING } from "../../lib/domain.js";
import type { KubeClient } from "../../lib/kube/client.js";
import { isConflict } from "../../lib/kube/errors.js";
import type { ResourceRef } from "../../lib/kube/resources.js";
import type { Db } from "../deps.js";
import { sessionResourceFor } from "../sessions/cluster.js";
import { DEFAULT_SESSION_TIMING, offlineTokenExpiry, onlineSinceOf } from "../sessions/decide.js";
import type { SessionLicense, SessionRow } from "../sessions/store.js";
import type { RepairReport } from "./feed.js";
import { LICENSE_ID_LABEL, MANAGED_BY_LABEL, MANAGED_BY_VALUE } from "./projection.js";

export interface RepairPorts {
  db: Db;
  kube: KubeClient;
  log: Logger;
  /** The feed's full projection of one license: namespace, License, Workstations. */
  syncLicense(licenseId: string): Promise<void>;
  /** Drops the feed's cache of namespaces known to exist (they may be gone with the rest). */
  forgetNamespaces(): void;
  /** The feed's clock: workstations whose delete_after passed are not losses. */
  now: Date;
}

async function listManaged(kube: KubeClient, kind: ResourceRef) {
  const list = await kube.resource(kind).list({ labelSelector: `${MANAGED_BY_LABEL}=${MANAGED_BY_VALUE}` });
  return list.items;
}

/** What is missing, by comparing Postgres with the cluster's lists (pure). */
export function findLosses<S extends SessionRow>(
  pg: {
    licenseIds: string[];
    workstations: { namespace: string; name: string; license_id: string }[];
    sessions: S[];
  },
  cluster: { licenseIds: Set<string>; workstations: Set<string>; sessions: Set<string> },
): { licenseIds: Set<string>; sessions: S[] } {
  const licenseIds = new Set(pg.licenseIds.filter((id) => !cluster.licenseIds.has(id)));
  // A lost Workstation is recreated by syncing its license (create-if-absent).
  for (const ws of pg.workstations) {
    if (!cluster.workstations.has(`${ws.namespace}/${ws.name}`)) licenseIds.add(ws.license_id);
  }
  const sessions = pg.sessions.filter((s) => !cluster.sessions.has(`${s.organization}/${s.resource_name}`));
  return { licenseIds, sessions };
}

export async function repairLosses(ports: RepairPorts): Promise<RepairReport> {
  const { db, kube, log } = ports;
  const [licenses, workstations, sessions] = await Promise.all([
    listManaged(kube, LicenseResource),
    listManaged(kube, WorkstationResource),
    listManaged(kube, ContainerSessionResource),
  ]);
  const key = (m?: { name?: string; namespace?: string }) => `${m?.namespace}/${m?.name}`;
  const cluster = {
    licenseIds: new Set(licenses.map((l) => l.metadata?.labels?.[LICENSE_ID_LABEL] ?? "")),
    workstations: new Set(workstations.map((w) => key(w.metadata))),
    sessions: new Set(sessions.map((s) => key(s.metadata))),
  };
  const pg = {
    licenseIds: (await db.query<{ id: string }>("SELECT id FROM licenses")).rows.map((r) => r.id),
    workstations: (
      await db.query<{ namespace: string; name: string; license_id: string }>(
        // A workstation past its delete_after is gone on purpose (removed from the subscription): not a loss.
        "SELECT namespace, name, license_id FROM provisioned_workstations WHERE delete_after IS NULL OR delete_after > $1",
        [ports.now],
      )
    ).rows,
    sessions: (
      await db.query<LiveSessionRow>(
        `SELECT s.*, l.tier AS license_tier, l.state AS license_state, l.expires_at AS license_expires_at,
                l.grace_ends_at AS license_grace_ends_at
           FROM container_sessions s JOIN licenses l ON l.id = s.license_id
          WHERE s.state = 'active' AND s.resource_name IS NOT NULL`,
      )
    ).rows,
  };
  const lost = findLosses(pg, cluster);
  const report: RepairReport = { licenses: 0, workstations: 0, sessions: 0, failed: 0 };
  if (lost.licenseIds.size === 0 && lost.sessions.length === 0) return report;
  ports.forgetNamespaces();
  for (const id of lost.licenseIds) {
    try {
      await ports.syncLicense(id);
      report.licenses += 1;
    } catch (err) {
      report.failed += 1;
      log.warn({ err, licenseId: id }, "could not re-project a lost license; the next check retries");
    }
  }
  report.workstations = pg.workstations.filter(
    (w) => lost.licenseIds.has(w.license_id) && !cluster.workstations.has(`${w.namespace}/${w.name}`),
  ).length;
  for (const session of lost.sessions) {
    try {
      await recreateSession(kube, session);
      report.sessions += 1;
    } catch (err) {
      report.failed += 1;
      log.warn(
        { err, sessionId: session.id },
        "could not re-project a lost ContainerSession; the next check retries",
      );
    }
  }
  log.warn(report, "re-projected objects the cluster had lost (Postgres is the truth)");
  return report;
}

/** A live session with the license facts its offline token's expiry depends on. */
export type LiveSessionRow = SessionRow & {
  license_tier: SessionLicense["tier"];
  license_state: SessionLicense["state"];
  license_expires_at: Date | null;
  license_grace_ends_at: Date | null;
};

/**
 * The offline token's expiry the session's last heartbeat handed out (its tier, its earned grace, the
 * license's end: ADRs 0157, 0158), not a flat 72 h that is short for enterprise and long for a fresh run.
 */
export function offlineGraceUntilOf(row: LiveSessionRow): Date {
  const license = {
    tier: row.license_tier,
    state: row.license_state,
    state_reason: "",
    expires_at: row.license_expires_at,
    grace_ends_at: row.license_grace_ends_at,
    max_containers: null,
  };
  return offlineTokenExpiry(license, row.last_heartbeat_at, onlineSinceOf(row), DEFAULT_SESSION_TIMING);
}

async function recreateSession(kube: KubeClient, row: LiveSessionRow): Promise<void> {
  const resource = sessionResourceFor({
    sessionId: row.id,
    licenseId: row.license_id,
    organization: row.organization,
    containerId: row.container_id,
    containerType: row.container_type,
    hostname: row.hostname,
    ip: row.ip,
    maxUsers: row.max_users,
  });
  const sessions = kube.resource<ContainerSession>(ContainerSessionResource);
  try {
    await sessions.create(resource);
  } catch (err) {
    if (!isConflict(err)) throw err; // a heartbeat recreated it meanwhile
    return;
  }
  const last = row.last_heartbeat_at.getTime();
  await sessions.patchStatus(
    resource.metadata.namespace,
    resource.metadata.name,
    {
      status: {
        state: "active",
        lastHeartbeatTime: row.last_heartbeat_at.toISOString(),
        expiresAt: new Date(last + TIMING.sessionExpiryMs).toISOString(),
        offlineGraceUntil: offlineGraceUntilOf(row).toISOString(),
      },
    },
    "merge",
  );
}
