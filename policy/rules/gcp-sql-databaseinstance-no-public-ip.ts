/**
 * The billing database has no public IP; it is reached over private services access.
 * The service default is a public IPv4 address.
 * Severity: high. Anchor: Checkov CKV_GCP_60, Trivy AVD-GCP-0017.
 */
import * as gcp from "@pulumi/gcp";
import { resourceRule, shown } from "../rule.js";

export const policy = resourceRule(
  gcp.sql.DatabaseInstance,
  {
    name: "gcp-sql-databaseinstance-no-public-ip",
    description: "Cloud SQL instances must not have a public IP address.",
    enforcementLevel: "mandatory",
    severity: "high",
    remediationSteps:
      "Set `settings.ipConfiguration.ipv4Enabled` to false and `settings.ipConfiguration.privateNetwork` to the VPC.",
    anchor: "Checkov CKV_GCP_60, Trivy AVD-GCP-0017",
  },
  (instance) => {
    const ipv4 = instance.settings?.ipConfiguration?.ipv4Enabled;
    return ipv4 === false
      ? undefined
      : `settings.ipConfiguration.ipv4Enabled is ${shown(ipv4)} (true when unset): the instance has a public IP.`;
  },
);
