/**
 * No secret (Stripe keys, database passwords, the license-token signing key) is readable by
 * allUsers / allAuthenticatedUsers.
 * Severity: critical. Anchor: none specific (general IAM analogue: Checkov CKV_GCP_113).
 */
import { iamTypeIn, publicGrantProblems } from "../iam.js";
import { typeMatchRule } from "../rule.js";

export const policy = typeMatchRule(
  iamTypeIn("secretmanager"),
  {
    name: "gcp-secretmanager-secret-no-public-iam",
    description: "Secret Manager secrets must not be anonymously or publicly accessible.",
    enforcementLevel: "mandatory",
    severity: "critical",
    remediationSteps:
      "Remove allUsers/allAuthenticatedUsers from `member`/`members`/policyData; grant roles/secretmanager.secretAccessor to the one workload service account that reads the secret.",
    anchor: "IAM analogue: Checkov CKV_GCP_113",
  },
  (props) => publicGrantProblems(props).map((problem) => `Secret Manager IAM ${problem}.`),
);
