/**
 * No firewall rule opens RDP (tcp/3389) to the internet.
 * Severity: critical. Anchor: Checkov CKV_GCP_3, Trivy AVD-GCP-0070.
 */
import * as gcp from "@pulumi/gcp";
import { isPublicIngress, opensTcpPort } from "../firewall.js";
import { resourceRule } from "../rule.js";

export const policy = resourceRule(
  gcp.compute.Firewall,
  {
    name: "gcp-compute-firewall-no-public-rdp",
    description: "Firewall rules must not allow RDP (tcp/3389) from 0.0.0.0/0.",
    enforcementLevel: "mandatory",
    severity: "critical",
    remediationSteps: "Remove 0.0.0.0/0 from `sourceRanges` or drop port 3389 from `allows`.",
    anchor: "Checkov CKV_GCP_3, Trivy AVD-GCP-0070",
  },
  (firewall) =>
    isPublicIngress(firewall) && opensTcpPort(firewall, 3389)
      ? "allows tcp/3389 (RDP) from the internet (sourceRanges contains 0.0.0.0/0)."
      : undefined,
);
