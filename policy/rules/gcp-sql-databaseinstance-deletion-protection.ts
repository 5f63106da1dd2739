/**
 * The database cannot be deleted by a deployment (provider default true; the rule catches false).
 * Severity: medium. Anchor: none.
 */
import * as gcp from "@pulumi/gcp";
import { resourceRule } from "../rule.js";

export const policy = resourceRule(
  gcp.sql.DatabaseInstance,
  {
    name: "gcp-sql-databaseinstance-deletion-protection",
    description: "Cloud SQL instances must keep deletion protection on.",
    enforcementLevel: "mandatory",
    severity: "medium",
    remediationSteps:
      "Remove `deletionProtection` or set it to true (and consider `settings.deletionProtectionEnabled`).",
    anchor: undefined,
  },
  (instance) => (instance.deletionProtection === false ? "deletionProtection is false." : undefined),
);
