/**
 * PostgreSQL instances log connections, disconnections, checkpoints and lock waits (security review and
 * incident analysis of the billing database).
 * Severity: low. Anchor: Checkov CKV_GCP_51–54, Trivy AVD-GCP-0016, AVD-GCP-0022, AVD-GCP-0025, AVD-GCP-0020.
 */
import * as gcp from "@pulumi/gcp";
import { resourceRule } from "../rule.js";

const FLAGS = ["log_connections", "log_disconnections", "log_checkpoints", "log_lock_waits"];

export const policy = resourceRule(
  gcp.sql.DatabaseInstance,
  {
    name: "gcp-sql-databaseinstance-postgres-log-flags",
    description: "PostgreSQL instances must log connections, disconnections, checkpoints and lock waits.",
    enforcementLevel: "advisory",
    severity: "low",
    remediationSteps: `Add \`settings.databaseFlags\` entries { name, value: "on" } for ${FLAGS.join(", ")}.`,
    anchor: "Checkov CKV_GCP_51, CKV_GCP_52, CKV_GCP_53, CKV_GCP_54",
  },
  (instance) => {
    if (!String(instance.databaseVersion ?? "").startsWith("POSTGRES")) return undefined;
    const flags = instance.settings?.databaseFlags ?? [];
    return FLAGS.filter((flag) => !flags.some((f) => f.name === flag && f.value === "on")).map(
      (flag) => `settings.databaseFlags does not set ${flag} to "on".`,
    );
  },
);
