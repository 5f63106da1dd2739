/**
 * Connections to the database are encrypted.
 * Severity: high. Anchor: Checkov CKV_GCP_6, Trivy AVD-GCP-0015.
 */
import * as gcp from "@pulumi/gcp";
import { resourceRule, shown } from "../rule.js";

const ENCRYPTED = ["ENCRYPTED_ONLY", "TRUSTED_CLIENT_CERTIFICATE_REQUIRED"];

export const policy = resourceRule(
  gcp.sql.DatabaseInstance,
  {
    name: "gcp-sql-databaseinstance-ssl-required",
    description: "Cloud SQL instances must require encrypted connections.",
    enforcementLevel: "mandatory",
    severity: "high",
    remediationSteps:
      'Set `settings.ipConfiguration.sslMode` to "ENCRYPTED_ONLY" (or "TRUSTED_CLIENT_CERTIFICATE_REQUIRED").',
    anchor: "Checkov CKV_GCP_6, Trivy AVD-GCP-0015",
  },
  (instance) => {
    const mode = instance.settings?.ipConfiguration?.sslMode;
    return typeof mode === "string" && ENCRYPTED.includes(mode)
      ? undefined
      : `settings.ipConfiguration.sslMode is ${shown(mode)}: unencrypted connections are accepted.`;
  },
);
