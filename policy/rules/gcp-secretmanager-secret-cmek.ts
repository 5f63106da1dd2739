/**
 * Secrets are encrypted with our Cloud KMS key, in automatic replication or in every user-managed replica.
 * Severity: medium. Anchor: none.
 */
import * as gcp from "@pulumi/gcp";
import { resourceRule } from "../rule.js";

export const policy = resourceRule(
  gcp.secretmanager.Secret,
  {
    name: "gcp-secretmanager-secret-cmek",
    description: "Secret Manager secrets must be encrypted with a customer-managed key.",
    enforcementLevel: "advisory",
    severity: "medium",
    remediationSteps:
      "Set `replication.auto.customerManagedEncryption.kmsKeyName` (or `customerManagedEncryption` on every `replication.userManaged.replicas` entry).",
    anchor: undefined,
  },
  (secret) => {
    const replication = secret.replication;
    if (replication?.auto) {
      return replication.auto.customerManagedEncryption?.kmsKeyName
        ? undefined
        : "replication.auto.customerManagedEncryption.kmsKeyName is unset.";
    }
    const replicas = replication?.userManaged?.replicas ?? [];
    if (replicas.length === 0) return "replication sets neither auto nor userManaged replicas.";
    return replicas
      .filter((replica) => !replica.customerManagedEncryption?.kmsKeyName)
      .map(
        (replica) =>
          `replication.userManaged replica in ${replica.location} has no customerManagedEncryption.`,
      );
  },
);
