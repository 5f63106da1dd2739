/**
 * No user-managed service-account key is created: keys never expire and leak (seed-notes D7). Workloads
 * use Workload Identity, humans and CI use impersonation or Workload Identity Federation.
 * Severity: high. Anchor: Checkov CKV2_GCP_3.
 */
import * as gcp from "@pulumi/gcp";
import { resourceRule, shown } from "../rule.js";

export const policy = resourceRule(
  gcp.serviceaccount.Key,
  {
    name: "gcp-serviceaccount-key-no-user-managed",
    description: "The stacks must not create user-managed service account keys.",
    enforcementLevel: "mandatory",
    severity: "high",
    remediationSteps:
      "Delete the `gcp.serviceaccount.Key` resource; use Workload Identity (GKE) or Workload Identity Federation (CI) instead.",
    anchor: "Checkov CKV2_GCP_3",
  },
  (key) => `creates a user-managed key for service account ${shown(key.serviceAccountId)}.`,
);
