/**
 * Node pools repair and upgrade themselves (both default to on; the rule catches an explicit false).
 * Severity: medium. Anchor: Checkov CKV_GCP_9, CKV_GCP_10, Trivy AVD-GCP-0063, AVD-GCP-0058.
 */
import * as gcp from "@pulumi/gcp";
import { resourceRule } from "../rule.js";

export const policy = resourceRule(
  gcp.container.NodePool,
  {
    name: "gcp-container-nodepool-auto-repair-upgrade",
    description: "GKE node pools must keep automatic repair and upgrade on.",
    enforcementLevel: "mandatory",
    severity: "medium",
    remediationSteps: "Remove `management.autoRepair`/`management.autoUpgrade` or set them to true.",
    anchor: "Checkov CKV_GCP_9, CKV_GCP_10, Trivy AVD-GCP-0063, AVD-GCP-0058",
  },
  (pool) => {
    const problems: string[] = [];
    if (pool.management?.autoRepair === false) problems.push("management.autoRepair is false.");
    if (pool.management?.autoUpgrade === false) problems.push("management.autoUpgrade is false.");
    return problems;
  },
);
