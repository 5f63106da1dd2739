/**
 * The VPC is custom-mode: every subnet, range and region is declared in the stack. Auto mode (the
 * provider default) creates a subnet in every region with predictable ranges.
 * Severity: medium. Anchor: none (related: Trivy AVD-GCP-0010, Checkov CKV_GCP_27 on the default network).
 */
import * as gcp from "@pulumi/gcp";
import { resourceRule, shown } from "../rule.js";

export const policy = resourceRule(
  gcp.compute.Network,
  {
    name: "gcp-compute-network-custom-subnets",
    description: "VPC networks must be custom-mode (no auto-created subnetworks).",
    enforcementLevel: "mandatory",
    severity: "medium",
    remediationSteps: "Set `autoCreateSubnetworks` to false and declare the subnetworks explicitly.",
    anchor: undefined,
  },
  (network) =>
    network.autoCreateSubnetworks === false
      ? undefined
      : `autoCreateSubnetworks is ${shown(network.autoCreateSubnetworks)} (true when unset): a subnet is created in every region.`,
);
