/**
 * Network policies are enforced (tenant namespaces must not reach each other or the control plane),
 * through Calico (`networkPolicy.enabled`) or Dataplane V2. Autopilot always enforces them.
 * Severity: medium. Anchor: Checkov CKV_GCP_12, Trivy AVD-GCP-0056.
 */
import * as gcp from "@pulumi/gcp";
import { resourceRule } from "../rule.js";

export const policy = resourceRule(
  gcp.container.Cluster,
  {
    name: "gcp-container-cluster-network-policy",
    description: "GKE clusters must enforce NetworkPolicy.",
    enforcementLevel: "advisory",
    severity: "medium",
    remediationSteps: 'Set `datapathProvider` to "ADVANCED_DATAPATH" (or `networkPolicy.enabled` to true).',
    anchor: "Checkov CKV_GCP_12, Trivy AVD-GCP-0056",
  },
  (cluster) =>
    cluster.enableAutopilot === true ||
    cluster.datapathProvider === "ADVANCED_DATAPATH" ||
    cluster.networkPolicy?.enabled === true
      ? undefined
      : "neither datapathProvider ADVANCED_DATAPATH nor networkPolicy.enabled is set: NetworkPolicies are ignored.",
);
