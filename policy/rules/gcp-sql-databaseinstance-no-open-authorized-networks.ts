/**
 * No authorized network opens the database to the whole internet.
 * Severity: critical. Anchor: Checkov CKV_GCP_11.
 */
import * as gcp from "@pulumi/gcp";
import { resourceRule } from "../rule.js";

const OPEN = ["0.0.0.0/0", "::/0"];

export const policy = resourceRule(
  gcp.sql.DatabaseInstance,
  {
    name: "gcp-sql-databaseinstance-no-open-authorized-networks",
    description: "Cloud SQL instances must not authorize 0.0.0.0/0.",
    enforcementLevel: "mandatory",
    severity: "critical",
    remediationSteps: "Remove 0.0.0.0/0 and ::/0 from `settings.ipConfiguration.authorizedNetworks`.",
    anchor: "Checkov CKV_GCP_11",
  },
  (instance) =>
    (instance.settings?.ipConfiguration?.authorizedNetworks ?? [])
      .filter((network) => OPEN.includes(String(network.value)))
      .map((network) => `settings.ipConfiguration.authorizedNetworks contains ${network.value}.`),
);
