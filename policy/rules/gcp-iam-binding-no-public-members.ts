/**
 * No IAM resource of any other service grants anything to allUsers / allAuthenticatedUsers (Artifact
 * Registry, KMS and Secret Manager have their own rules with their own anchors, so they are skipped here
 * to report each grant once).
 * Severity: critical. Anchor: Checkov CKV_GCP_113 (and the per-service public-access checks).
 */
import { iamTypeIn, isIamType, publicGrantProblems } from "../iam.js";
import { typeMatchRule } from "../rule.js";

const ownRules = iamTypeIn("artifactregistry", "kms", "secretmanager");

export const policy = typeMatchRule(
  (type) => isIamType(type) && !ownRules(type),
  {
    name: "gcp-iam-binding-no-public-members",
    description: "IAM grants must not include allUsers or allAuthenticatedUsers.",
    enforcementLevel: "mandatory",
    severity: "critical",
    remediationSteps:
      "Remove allUsers/allAuthenticatedUsers from `member`/`members`/policyData; grant to a group or service account.",
    anchor: "Checkov CKV_GCP_113",
  },
  (props) => publicGrantProblems(props).map((problem) => `IAM ${problem}.`),
);
