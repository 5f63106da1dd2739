/**
 * The GKE control plane accepts connections only from listed networks, and none of them is the whole
 * internet. A cluster with a private endpoint only is compliant without a list.
 * Severity: high. Anchor: Checkov CKV_GCP_20, CKV_GCP_18, Trivy AVD-GCP-0061, AVD-GCP-0053.
 */
import * as gcp from "@pulumi/gcp";
import { resourceRule } from "../rule.js";

const OPEN = ["0.0.0.0/0", "::/0"];

export const policy = resourceRule(
  gcp.container.Cluster,
  {
    name: "gcp-container-cluster-master-authorized-networks",
    description: "GKE control planes must restrict access to authorized networks, never 0.0.0.0/0.",
    enforcementLevel: "mandatory",
    severity: "high",
    remediationSteps:
      "Set `masterAuthorizedNetworksConfig.cidrBlocks` to the CI/operator ranges (no 0.0.0.0/0), or enable `privateClusterConfig.enablePrivateEndpoint`.",
    anchor: "Checkov CKV_GCP_20, CKV_GCP_18, Trivy AVD-GCP-0061, AVD-GCP-0053",
  },
  (cluster) => {
    const config = cluster.masterAuthorizedNetworksConfig;
    const blocks = config?.cidrBlocks ?? [];
    const open = blocks.filter((block) => OPEN.includes(String(block.cidrBlock)));
    if (open.length > 0) {
      return open.map((block) => `masterAuthorizedNetworksConfig.cidrBlocks contains ${block.cidrBlock}.`);
    }
    if (cluster.privateClusterConfig?.enablePrivateEndpoint === true) return undefined;
    if (config === undefined)
      return "masterAuthorizedNetworksConfig is unset: the public endpoint accepts any address.";
    if (config.gcpPublicCidrsAccessEnabled === true) {
      return "masterAuthorizedNetworksConfig.gcpPublicCidrsAccessEnabled is true: every Google Cloud IP can reach the control plane.";
    }
    return blocks.length > 0 ? undefined : "masterAuthorizedNetworksConfig.cidrBlocks is empty.";
  },
);
