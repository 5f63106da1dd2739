/**
 * No KMS key or key ring grants anything to allUsers / allAuthenticatedUsers — not even
 * publicKeyViewer: customers get the public key from a published URL instead (seed-notes D4).
 * Severity: critical. Anchor: Checkov CKV_GCP_112, CKV2_GCP_6, CKV2_GCP_8.
 */
import { iamTypeIn, publicGrantProblems } from "../iam.js";
import { typeMatchRule } from "../rule.js";

export const policy = typeMatchRule(
  iamTypeIn("kms"),
  {
    name: "gcp-kms-cryptokey-no-public-iam",
    description: "Cloud KMS keys and key rings must not be anonymously or publicly accessible.",
    enforcementLevel: "mandatory",
    severity: "critical",
    remediationSteps:
      "Remove allUsers/allAuthenticatedUsers from `member`/`members`/policyData; publish the public key at a URL instead of granting roles/cloudkms.publicKeyViewer publicly.",
    anchor: "Checkov CKV_GCP_112, CKV2_GCP_6, CKV2_GCP_8",
  },
  (props) => publicGrantProblems(props).map((problem) => `Cloud KMS IAM ${problem}.`),
);
