/**
 * The periodic safety sweep: re-decide time-dependent license states, then resync the cluster (recreate
 * missing or edited License resources, delete orphans). Runs at start and every interval; never overlaps.
 */

import { type PeriodicTask, startPeriodic } from "../../lib/periodic.js";
import { mirrorLicenses } from "../cluster/sync.js";
import type { BillingDeps } from "../deps.js";
import { refreshLicenseStates } from "../licenses/refresh.js";
import { metricsFor } from "./metrics.js";

export type Maintenance = PeriodicTask<void>;

export function startMaintenance(deps: BillingDeps, intervalMs: number): Maintenance {
  return startPeriodic(async () => {
    try {
      const changed = await refreshLicenseStates(deps);
      if (changed.length) deps.logger.info({ licenses: changed.length }, "license states changed with time");
      if (deps.kube) {
        const report = await deps.kube.resyncAll();
        if (report.failed)
          metricsFor(deps.metrics).clusterSyncFailures.inc({ operation: "resync" }, report.failed);
        deps.logger.info(report, "cluster resync finished");
      } else {
        await mirrorLicenses(deps, changed);
      }
    } catch (err) {
      metricsFor(deps.metrics).clusterSyncFailures.inc({ operation: "resync" });
      deps.logger.warn({ err }, "maintenance sweep failed; retrying at the next interval");
    }
  }, intervalMs);
}
