/**
 * The billing database (orders, licenses, the audit log) has automated backups and point-in-time
 * recovery.
 * Severity: medium. Anchor: Checkov CKV_GCP_14, Trivy AVD-GCP-0024.
 */
import * as gcp from "@pulumi/gcp";
import { resourceRule } from "../rule.js";

export const policy = resourceRule(
  gcp.sql.DatabaseInstance,
  {
    name: "gcp-sql-databaseinstance-backups",
    description: "Cloud SQL instances must have automated backups and point-in-time recovery.",
    enforcementLevel: "mandatory",
    severity: "medium",
    remediationSteps:
      "Set `settings.backupConfiguration.enabled` and `settings.backupConfiguration.pointInTimeRecoveryEnabled` to true.",
    anchor: "Checkov CKV_GCP_14, Trivy AVD-GCP-0024",
  },
  (instance) => {
    const backup = instance.settings?.backupConfiguration;
    const problems: string[] = [];
    if (backup?.enabled !== true) problems.push("settings.backupConfiguration.enabled is not true.");
    if (backup?.pointInTimeRecoveryEnabled !== true) {
      problems.push("settings.backupConfiguration.pointInTimeRecoveryEnabled is not true.");
    }
    return problems;
  },
);
