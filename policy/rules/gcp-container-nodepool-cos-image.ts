/**
 * Nodes run Container-Optimized OS (the default, COS_CONTAINERD).
 * Severity: low. Anchor: Checkov CKV_GCP_22, Trivy AVD-GCP-0054.
 */
import * as gcp from "@pulumi/gcp";
import { resourceRule, shown } from "../rule.js";

export const policy = resourceRule(
  gcp.container.NodePool,
  {
    name: "gcp-container-nodepool-cos-image",
    description: "GKE node pools must use Container-Optimized OS.",
    enforcementLevel: "advisory",
    severity: "low",
    remediationSteps: 'Remove `nodeConfig.imageType` or set it to "COS_CONTAINERD".',
    anchor: "Checkov CKV_GCP_22, Trivy AVD-GCP-0054",
  },
  (pool) => {
    const imageType = pool.nodeConfig?.imageType;
    return imageType === undefined || imageType.toUpperCase().startsWith("COS")
      ? undefined
      : `nodeConfig.imageType is ${shown(imageType)}.`;
  },
);
