/**
 * Pods authenticate to Google APIs through Workload Identity (the operator calls the Cloud
 * Workstations API), never with node service-account credentials or exported keys. Autopilot clusters
 * always have it.
 * Severity: high. Anchor: none (complements Checkov CKV_GCP_69 on node pools).
 */
import * as gcp from "@pulumi/gcp";
import { resourceRule } from "../rule.js";

export const policy = resourceRule(
  gcp.container.Cluster,
  {
    name: "gcp-container-cluster-workload-identity",
    description: "GKE clusters must enable Workload Identity.",
    enforcementLevel: "mandatory",
    severity: "high",
    remediationSteps: 'Set `workloadIdentityConfig.workloadPool` to "<project>.svc.id.goog".',
    anchor: undefined,
  },
  (cluster) => {
    if (cluster.enableAutopilot === true) return undefined;
    const pool = cluster.workloadIdentityConfig?.workloadPool;
    return typeof pool === "string" && pool.endsWith(".svc.id.goog")
      ? undefined
      : "workloadIdentityConfig.workloadPool is not set to <project>.svc.id.goog.";
  },
);
