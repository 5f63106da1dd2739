/**
 * Shielded GKE nodes (on by default; the rule catches an explicit false).
 * Severity: high. Anchor: Checkov CKV_GCP_71, Trivy AVD-GCP-0055.
 */
import * as gcp from "@pulumi/gcp";
import { resourceRule } from "../rule.js";

export const policy = resourceRule(
  gcp.container.Cluster,
  {
    name: "gcp-container-cluster-shielded-nodes",
    description: "GKE clusters must use Shielded GKE nodes.",
    enforcementLevel: "mandatory",
    severity: "high",
    remediationSteps: "Remove `enableShieldedNodes` or set it to true.",
    anchor: "Checkov CKV_GCP_71, Trivy AVD-GCP-0055",
  },
  (cluster) => (cluster.enableShieldedNodes === false ? "enableShieldedNodes is false." : undefined),
);
