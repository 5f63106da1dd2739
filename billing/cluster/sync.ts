/**
 * Mirrors licenses to the cluster after a committed change. A failure is logged and counted, never
 * surfaced to the caller: Postgres already holds the truth and the periodic resync repairs the cluster.
 */
import type { BillingDeps } from "../deps.js";
import { metricsFor } from "../ops/metrics.js";

export async function mirrorLicenses(deps: BillingDeps, licenseIds: Iterable<string>): Promise<void> {
  if (!deps.kube) return;
  for (const id of new Set(licenseIds)) {
    try {
      await deps.kube.syncLicense(id);
    } catch (err) {
      metricsFor(deps.metrics).clusterSyncFailures.inc({ operation: "sync" });
      deps.logger.warn(
        { err, licenseId: id },
        "could not mirror license to the cluster; the periodic resync retries",
      );
    }
  }
}
