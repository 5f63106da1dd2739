/**
 * The workstation-ready email (issue 16 §3, A.11): when the operator reports a Workstation running with an
 * access URL and its access granted to the person billing assigned it to, that person is told once — one
 * message per (workstation, assignee), deduplicated in the outbox, so every replica may run the pass and a
 * restart or a stop/start does not mail again. A periodic pass over the cluster's billing-managed
 * Workstations (like cluster/watchdog.ts): the operator, not billing, knows when a workstation is ready.
 */
import type { Logger } from "pino";
import type { Workstation } from "../../../crds/types.js";
import type { Clock } from "../../../lib/clock.js";
import { type PeriodicTask, startPeriodic } from "../../../lib/periodic.js";
import type { ClusterFeed } from "../../cluster/feed.js";
import type { Queryable } from "../../db/queryable.js";
import { enqueueNotification, type NotificationRequest } from "../../notifications/outbox.js";

export const WORKSTATION_READY_SCAN_INTERVAL_MS = 15_000;

export interface AssignedWorkstation {
  name: string;
  namespace: string;
  license_id: string;
  assignee_user_id: string;
  assignee_email: string;
}

/** The workstation_ready messages the cluster's state calls for (pure; the outbox drops repeats). */
export function readyNotifications(
  resources: Workstation[],
  assigned: AssignedWorkstation[],
): NotificationRequest[] {
  const byKey = new Map(assigned.map((a) => [`${a.namespace}/${a.name}`, a]));
  const messages: NotificationRequest[] = [];
  for (const ws of resources) {
    const row = byKey.get(`${ws.metadata?.namespace}/${ws.metadata?.name}`);
    const status = ws.status;
    if (!row || !status?.accessUrl || status.phase !== "Running") continue;
    // Access must be the assignee's: right after a reassignment the old user may still hold it.
    if (ws.spec.user !== row.assignee_email || status.accessGrantedTo !== row.assignee_email) continue;
    messages.push({
      kind: "workstation_ready",
      to: row.assignee_email,
      licenseId: row.license_id,
      data: { organization: row.namespace, workstation: row.name, accessUrl: status.accessUrl },
      dedupeKey: `workstation_ready:${row.namespace}/${row.name}:${row.assignee_user_id}`,
    });
  }
  return messages;
}

export interface ReadyScanDeps {
  db: Queryable;
  clock: Clock;
  logger: Logger;
  kube?: ClusterFeed | undefined;
}

/** One pass: returns how many messages were enqueued (repeats are not counted). */
export async function scanReadyWorkstations(deps: ReadyScanDeps): Promise<number> {
  if (!deps.kube) return 0;
  const resources = await deps.kube.listWorkstations();
  const running = resources.filter((w) => w.status?.phase === "Running" && w.status.accessUrl);
  if (running.length === 0) return 0;
  const assigned = (
    await deps.db.query<AssignedWorkstation>(
      `SELECT w.name, w.namespace, w.license_id, w.assignee_user_id, u.email AS assignee_email
         FROM provisioned_workstations w JOIN users u ON u.id = w.assignee_user_id
        WHERE w.removal_requested_at IS NULL`,
    )
  ).rows;
  let enqueued = 0;
  const now = deps.clock.now();
  for (const message of readyNotifications(running, assigned)) {
    if (await enqueueNotification(deps.db, message, now)) enqueued += 1;
  }
  return enqueued;
}

export function startWorkstationReadyScan(
  deps: ReadyScanDeps,
  intervalMs = WORKSTATION_READY_SCAN_INTERVAL_MS,
): PeriodicTask<number> {
  return startPeriodic(async () => {
    try {
      return await scanReadyWorkstations(deps);
    } catch (err) {
      deps.logger.debug({ err }, "workstation-ready scan failed; the next pass retries");
      return 0;
    }
  }, intervalMs);
}
