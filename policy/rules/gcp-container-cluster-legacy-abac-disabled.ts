/**
 * Legacy ABAC grants broad static permissions around RBAC; it stays off.
 * Severity: high. Anchor: Checkov CKV_GCP_7, Trivy AVD-GCP-0062.
 */
import * as gcp from "@pulumi/gcp";
import { resourceRule } from "../rule.js";

export const policy = resourceRule(
  gcp.container.Cluster,
  {
    name: "gcp-container-cluster-legacy-abac-disabled",
    description: "GKE clusters must not enable legacy ABAC.",
    enforcementLevel: "mandatory",
    severity: "high",
    remediationSteps: "Remove `enableLegacyAbac` or set it to false.",
    anchor: "Checkov CKV_GCP_7, Trivy AVD-GCP-0062",
  },
  (cluster) =>
    cluster.enableLegacyAbac === true ? "enableLegacyAbac is true: RBAC can be bypassed." : undefined,
);
