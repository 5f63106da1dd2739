/**
 * Repositories are encrypted with our own Cloud KMS key, so revoking the key revokes the images.
 * Severity: medium. Anchor: Checkov CKV_GCP_84.
 */
import * as gcp from "@pulumi/gcp";
import { resourceRule } from "../rule.js";

export const policy = resourceRule(
  gcp.artifactregistry.Repository,
  {
    name: "gcp-artifactregistry-repository-cmek",
    description: "Artifact Registry repositories must be encrypted with a customer-managed key.",
    enforcementLevel: "advisory",
    severity: "medium",
    remediationSteps: "Set `kmsKeyName` to a Cloud KMS ENCRYPT_DECRYPT key in the repository's location.",
    anchor: "Checkov CKV_GCP_84",
  },
  (repo) => (repo.kmsKeyName ? undefined : "kmsKeyName is unset: the repository uses a Google-managed key."),
);
