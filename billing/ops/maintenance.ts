/**
 * The periodic safety sweep: re-decide time-dependent license states, then resync the cluster (recreate
 * missing or edited License resources, delete orphans). Runs at start and every interval; never overlaps.
 */
import { mirrorLicenses } from "../cluster/sync.js";
import type { BillingDeps } from "../deps.js";
import { refreshLicenseStates } from "../licenses/refresh.js";
import { metricsFor } from "./metrics.js";

export interface Maintenance {
  runOnce(): Promise<void>;
  /** Stops the timer and waits for a running sweep to finish. */
  stop(): Promise<void>;
}

export function startMaintenance(deps: BillingDeps, intervalMs: number): Maintenance {
  let running: Promise<void> | undefined;
  const runOnce = (): Promise<void> => {
    running ??= (async () => {
      try {
        const changed = await refreshLicenseStates(deps);
        if (changed.length)
          deps.logger.info({ licenses: changed.length }, "license states changed with time");
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
      } finally {
        running = undefined;
      }
    })();
    return running;
  };
  const timer = setInterval(() => void runOnce(), intervalMs);
  timer.unref();
  return {
    runOnce,
    async stop() {
      clearInterval(timer);
      await running;
    },
  };
}
