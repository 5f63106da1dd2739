/**
 * A Workload Identity Federation provider restricts which external identities may exchange tokens with
 * an `attributeCondition`. For GitHub Actions' issuer the condition must pin the repository (or its
 * owner id): without it, a workflow in any GitHub repository could impersonate the signing identity
 * (seed-notes D3: signing runs in GitHub Actions through federation).
 * Severity: high. Anchor: Checkov CKV_GCP_118, CKV_GCP_125.
 */
import * as gcp from "@pulumi/gcp";
import { resourceRule } from "../rule.js";

const GITHUB_ISSUER = "https://token.actions.githubusercontent.com";

export const policy = resourceRule(
  gcp.iam.WorkloadIdentityPoolProvider,
  {
    name: "gcp-iam-workloadidentitypoolprovider-attribute-condition",
    description:
      "Workload identity pool providers must restrict identities with an attributeCondition (GitHub: by repository).",
    enforcementLevel: "mandatory",
    severity: "high",
    remediationSteps:
      'Set `attributeCondition`, for GitHub e.g. `assertion.repository == "org/repo" && assertion.ref == "refs/heads/main"`.',
    anchor: "Checkov CKV_GCP_118, CKV_GCP_125",
  },
  (provider) => {
    const condition =
      typeof provider.attributeCondition === "string" ? provider.attributeCondition.trim() : "";
    if (condition === "")
      return "attributeCondition is unset: every identity the issuer vouches for is accepted.";
    const github = provider.oidc?.issuerUri === GITHUB_ISSUER;
    return github &&
      !/assertion\.(repository|repository_id|repository_owner|repository_owner_id)\b/.test(condition)
      ? `attributeCondition ${JSON.stringify(condition)} does not restrict the GitHub repository or owner.`
      : undefined;
  },
);
