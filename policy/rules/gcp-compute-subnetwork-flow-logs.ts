/**
 * VPC flow logs are recorded on workload subnets (forensics across tenant workstations).
 * Severity: low. Anchor: Checkov CKV_GCP_26, Trivy AVD-GCP-0029.
 */
import * as gcp from "@pulumi/gcp";
import { resourceRule } from "../rule.js";

export const policy = resourceRule(
  gcp.compute.Subnetwork,
  {
    name: "gcp-compute-subnetwork-flow-logs",
    description: "Subnetworks must record VPC flow logs.",
    enforcementLevel: "advisory",
    severity: "low",
    remediationSteps:
      'Set `logConfig` (e.g. { aggregationInterval: "INTERVAL_5_SEC", flowSampling: 0.5, metadata: "INCLUDE_ALL_METADATA" }).',
    anchor: "Checkov CKV_GCP_26, Trivy AVD-GCP-0029",
  },
  (subnet) => {
    if ((subnet.purpose ?? "PRIVATE") !== "PRIVATE") return undefined;
    return subnet.logConfig ? undefined : "logConfig is unset: no VPC flow logs are recorded.";
  },
);
