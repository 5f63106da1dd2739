/**
 * GKE nodes have internal IP addresses only.
 * Severity: high. Anchor: Checkov CKV_GCP_64, CKV_GCP_25, Trivy AVD-GCP-0059.
 */
import * as gcp from "@pulumi/gcp";
import { resourceRule, shown } from "../rule.js";

export const policy = resourceRule(
  gcp.container.Cluster,
  {
    name: "gcp-container-cluster-private-nodes",
    description: "GKE clusters must use private nodes.",
    enforcementLevel: "mandatory",
    severity: "high",
    remediationSteps: "Set `privateClusterConfig.enablePrivateNodes` to true (with a `masterIpv4CidrBlock`).",
    anchor: "Checkov CKV_GCP_64, CKV_GCP_25, Trivy AVD-GCP-0059",
  },
  (cluster) => {
    const enabled = cluster.privateClusterConfig?.enablePrivateNodes;
    return enabled === true
      ? undefined
      : `privateClusterConfig.enablePrivateNodes is ${shown(enabled)}: nodes get public IPs.`;
  },
);
