/**
 * Standard repositories declare cleanup policies (untagged and old versions pile up otherwise), and any
 * DELETE policy is paired with a KEEP policy on the most recent versions, so cleanup can never delete
 * the digest a workstation config still pins. A dry-run-only setup does not count.
 * Severity: medium. Anchor: none.
 */
import * as gcp from "@pulumi/gcp";
import { resourceRule } from "../rule.js";

export const policy = resourceRule(
  gcp.artifactregistry.Repository,
  {
    name: "gcp-artifactregistry-repository-cleanup-policies",
    description:
      "Standard repositories must have enforced cleanup policies that keep the most recent versions.",
    enforcementLevel: "advisory",
    severity: "medium",
    remediationSteps:
      "Add `cleanupPolicies` (a DELETE policy with `condition`, plus a KEEP policy with `mostRecentVersions`) and leave `cleanupPolicyDryRun` false.",
    anchor: undefined,
  },
  (repo) => {
    if ((repo.mode ?? "STANDARD_REPOSITORY") !== "STANDARD_REPOSITORY") return undefined;
    const policies = repo.cleanupPolicies ?? [];
    if (policies.length === 0)
      return "cleanupPolicies is empty: old and untagged versions are never removed.";
    const problems: string[] = [];
    if (repo.cleanupPolicyDryRun === true)
      problems.push("cleanupPolicyDryRun is true: the policies never delete.");
    const deletes = policies.some((p) => p.action === "DELETE");
    const keepsRecent = policies.some((p) => p.action === "KEEP" && p.mostRecentVersions !== undefined);
    if (deletes && !keepsRecent) {
      problems.push("cleanupPolicies has a DELETE policy but no KEEP policy with mostRecentVersions.");
    }
    return problems;
  },
);
