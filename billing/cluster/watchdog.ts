/**
 * Notices promptly that the cluster lost billing's objects and re-projects them from Postgres. A cheap
 * check every few seconds (three label-selected lists) rather than the full resync sweep, which runs every
 * RESYNC_INTERVAL_SECONDS (300 s) and rewrites every license. Never overlaps itself.
 */
import { type PeriodicTask, startPeriodic } from "../../lib/periodic.js";
import type { BillingDeps } from "../deps.js";
import { metricsFor } from "../ops/metrics.js";
import type { RepairReport } from "./feed.js";

export const CLUSTER_WATCHDOG_INTERVAL_MS = 10_000;

export type ClusterWatchdog = PeriodicTask<RepairReport | undefined>;

export function startClusterWatchdog(
  deps: BillingDeps,
  intervalMs = CLUSTER_WATCHDOG_INTERVAL_MS,
): ClusterWatchdog {
  return startPeriodic(async () => {
    const kube = deps.kube;
    if (!kube) return undefined;
    try {
      const report = await kube.repairLosses();
      if (report.failed)
        metricsFor(deps.metrics).clusterSyncFailures.inc({ operation: "repair" }, report.failed);
      return report;
    } catch (err) {
      // The API server is down or refusing: the next check tries again; /readyz reports the outage.
      metricsFor(deps.metrics).clusterSyncFailures.inc({ operation: "repair" });
      deps.logger.debug({ err }, "cluster loss check failed");
      return undefined;
    }
  }, intervalMs);
}
