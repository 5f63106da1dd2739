/**
 * No IAM resource of any service grants a basic role (Owner, Editor, Viewer): each component gets the
 * predefined roles it needs.
 * Severity: high. Anchor: Checkov CKV_GCP_115, CKV_GCP_116, CKV_GCP_117.
 */
import { BASIC_ROLES, grantsOf, isIamType } from "../iam.js";
import { typeMatchRule } from "../rule.js";

export const policy = typeMatchRule(
  isIamType,
  {
    name: "gcp-iam-binding-no-basic-roles",
    description: "IAM grants must not use basic roles (roles/owner, roles/editor, roles/viewer).",
    enforcementLevel: "mandatory",
    severity: "high",
    remediationSteps:
      "Replace `role` (or the policyData binding's role) with the narrowest predefined role the member needs.",
    anchor: "Checkov CKV_GCP_115, CKV_GCP_116, CKV_GCP_117",
  },
  (props) =>
    grantsOf(props)
      .filter((grant) => grant.role !== undefined && BASIC_ROLES.includes(grant.role))
      .map((grant) => `grants the basic role ${grant.role} to ${grant.member}.`),
);
