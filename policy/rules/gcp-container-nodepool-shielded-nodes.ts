/**
 * Node pool VMs boot with secure boot and integrity monitoring. Secure boot defaults to off.
 * Severity: medium. Anchor: Checkov CKV_GCP_68, CKV_GCP_72.
 */
import * as gcp from "@pulumi/gcp";
import { resourceRule } from "../rule.js";

export const policy = resourceRule(
  gcp.container.NodePool,
  {
    name: "gcp-container-nodepool-shielded-nodes",
    description: "GKE node pools must enable secure boot and integrity monitoring.",
    enforcementLevel: "mandatory",
    severity: "medium",
    remediationSteps:
      "Set `nodeConfig.shieldedInstanceConfig.enableSecureBoot` to true and leave `enableIntegrityMonitoring` true.",
    anchor: "Checkov CKV_GCP_68, CKV_GCP_72",
  },
  (pool) => {
    const shielded = pool.nodeConfig?.shieldedInstanceConfig;
    const problems: string[] = [];
    if (shielded?.enableSecureBoot !== true)
      problems.push("nodeConfig.shieldedInstanceConfig.enableSecureBoot is not true.");
    if (shielded?.enableIntegrityMonitoring === false) {
      problems.push("nodeConfig.shieldedInstanceConfig.enableIntegrityMonitoring is false.");
    }
    return problems;
  },
);
