/**
 * Nobody is granted Service Account User / Token Creator on the whole project, folder or organization:
 * that lets them act as every service account, including the signing and operator identities. Grant it
 * on the one service account instead.
 * Severity: high. Anchor: Checkov CKV_GCP_41, CKV_GCP_49, Trivy AVD-GCP-0011.
 */
import { grantsOf, iamTypeIn } from "../iam.js";
import { typeMatchRule } from "../rule.js";

const IMPERSONATION_ROLES = ["roles/iam.serviceAccountUser", "roles/iam.serviceAccountTokenCreator"];

export const policy = typeMatchRule(
  iamTypeIn("projects", "folder", "organizations"),
  {
    name: "gcp-projects-iammember-no-service-account-impersonation",
    description:
      "Service Account User/Token Creator must not be granted at project, folder or organization level.",
    enforcementLevel: "mandatory",
    severity: "high",
    remediationSteps:
      "Move the grant to the service account itself (gcp.serviceaccount.IAMMember with `serviceAccountId`) instead of the project-level `role`.",
    anchor: "Checkov CKV_GCP_41, CKV_GCP_49, Trivy AVD-GCP-0011",
  },
  (props) =>
    grantsOf(props)
      .filter((grant) => grant.role !== undefined && IMPERSONATION_ROLES.includes(grant.role))
      .map((grant) => `grants ${grant.role} to ${grant.member} on every service account in scope.`),
);
