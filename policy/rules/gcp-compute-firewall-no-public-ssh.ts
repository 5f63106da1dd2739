/**
 * No firewall rule opens SSH (tcp/22) to the internet; admins use IAP TCP forwarding (35.235.240.0/20).
 * Severity: critical. Anchor: Checkov CKV_GCP_2, Trivy AVD-GCP-0071.
 */
import * as gcp from "@pulumi/gcp";
import { isPublicIngress, opensTcpPort } from "../firewall.js";
import { resourceRule } from "../rule.js";

export const policy = resourceRule(
  gcp.compute.Firewall,
  {
    name: "gcp-compute-firewall-no-public-ssh",
    description: "Firewall rules must not allow SSH (tcp/22) from 0.0.0.0/0.",
    enforcementLevel: "mandatory",
    severity: "critical",
    remediationSteps:
      "Replace 0.0.0.0/0 in `sourceRanges` with the IAP range 35.235.240.0/20, or drop port 22 from `allows`.",
    anchor: "Checkov CKV_GCP_2, Trivy AVD-GCP-0071",
  },
  (firewall) =>
    isPublicIngress(firewall) && opensTcpPort(firewall, 22)
      ? "allows tcp/22 (SSH) from the internet (sourceRanges contains 0.0.0.0/0)."
      : undefined,
);
