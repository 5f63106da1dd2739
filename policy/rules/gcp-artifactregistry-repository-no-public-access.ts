/**
 * Artifact Registry repositories are never readable by allUsers / allAuthenticatedUsers: the images are
 * the licensed product; pulls go through license-gated, short-lived tokens.
 * Severity: critical. Anchor: Checkov CKV_GCP_101.
 */
import { iamTypeIn, publicGrantProblems } from "../iam.js";
import { typeMatchRule } from "../rule.js";

export const policy = typeMatchRule(
  iamTypeIn("artifactregistry"),
  {
    name: "gcp-artifactregistry-repository-no-public-access",
    description: "Artifact Registry repositories must not be anonymously or publicly accessible.",
    enforcementLevel: "mandatory",
    severity: "critical",
    remediationSteps:
      "Remove allUsers/allAuthenticatedUsers from `member`/`members` (or the policyData bindings); grant roles/artifactregistry.reader to the pull service account instead.",
    anchor: "Checkov CKV_GCP_101",
  },
  (props) => publicGrantProblems(props).map((problem) => `Artifact Registry IAM ${problem}.`),
);
