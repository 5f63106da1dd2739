/**
 * No firewall rule opens every port (protocol "all", or a protocol without a port list) to the internet.
 * Severity: critical. Anchor: Checkov CKV2_GCP_12, Trivy AVD-GCP-0027.
 */
import * as gcp from "@pulumi/gcp";
import { allPortEntries, isPublicIngress } from "../firewall.js";
import { resourceRule } from "../rule.js";

export const policy = resourceRule(
  gcp.compute.Firewall,
  {
    name: "gcp-compute-firewall-no-public-all-ports",
    description: "Firewall rules must not allow all ports from 0.0.0.0/0.",
    enforcementLevel: "mandatory",
    severity: "critical",
    remediationSteps: 'List explicit `allows[].ports` (e.g. ["443"]) or narrow `sourceRanges`.',
    anchor: "Checkov CKV2_GCP_12, Trivy AVD-GCP-0027",
  },
  (firewall) =>
    isPublicIngress(firewall)
      ? allPortEntries(firewall).map(
          (entry) => `allows every ${String(entry.protocol)} port from the internet.`,
        )
      : undefined,
);
