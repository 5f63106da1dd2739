/**
 * Stack policy (issue 15, ADR 0023, ADR 0204): the tiers' registry pull identities (`…pull-<tier>`
 * service accounts) can be used by billing only, and only to mint access tokens: every IAM grant on a pull
 * identity must be `roles/iam.serviceAccountTokenCreator` to billing's service account; billing must hold
 * no role on any other service account (nothing broader than minting pull tokens); and, when billing's
 * account is in the stack, it must hold that role on every pull identity (or customers get no token).
 * Severity: high. Anchor: none (least privilege, ADR 0023).
 */
import * as gcp from "@pulumi/gcp";
import { grantsOf, iamTypeIn } from "../iam.js";
import type { CoditectStackPolicy } from "../types.js";

const ACCOUNT_TYPE = (gcp.serviceaccount.Account as unknown as { __pulumiType: string }).__pulumiType;
const isServiceAccountIam = iamTypeIn("serviceaccount");
const TOKEN_CREATOR = "roles/iam.serviceAccountTokenCreator";
const PULL_ACCOUNT = /^(coditect-)?pull-[a-z]+$/;
const BILLING_ACCOUNT = /^(coditect-)?billing$/;

/** The account id in `projects/p/serviceAccounts/<id>@…`, `<id>@…` or `serviceAccount:<id>@…`. */
function accountIdOf(value: unknown): string | undefined {
  if (typeof value !== "string") return undefined;
  const last = value.split("/").pop() ?? "";
  const id = last.replace(/^serviceAccount:/, "").split("@")[0];
  return id || undefined;
}

export const policy: CoditectStackPolicy = {
  name: "gcp-serviceaccount-iammember-pull-identity-token-creator-only",
  description:
    "Registry pull identities grant only roles/iam.serviceAccountTokenCreator, only to billing; billing holds no other service-account role.",
  enforcementLevel: "mandatory",
  severity: "high",
  remediationSteps:
    "Grant the pull identities (LicensedRegistry `tokenIssuerMembers`) `role: roles/iam.serviceAccountTokenCreator` to billing's service account only, and no role on other service accounts to billing.",
  anchor: undefined,
  validateStack: (args, reportViolation) => {
    const accounts = args.resources.filter((r) => r.type === ACCOUNT_TYPE);
    const pullIds = new Set(
      accounts
        .map((r) => (r.props as { accountId?: unknown }).accountId)
        .filter((id): id is string => typeof id === "string" && PULL_ACCOUNT.test(id)),
    );
    if (pullIds.size === 0) args.notApplicable("no registry pull identities in this stack");
    const billingInStack = accounts.some((r) => {
      const id = (r.props as { accountId?: unknown }).accountId;
      return typeof id === "string" && BILLING_ACCOUNT.test(id);
    });
    const isBilling = (member: string) => {
      const id = member.startsWith("serviceAccount:") ? accountIdOf(member) : undefined;
      return id !== undefined && BILLING_ACCOUNT.test(id);
    };
    const minted = new Set<string>();
    for (const resource of args.resources) {
      if (!isServiceAccountIam(resource.type)) continue;
      const props = resource.props as Record<string, unknown>;
      const target = accountIdOf(props.serviceAccountId);
      const onPull = target !== undefined && pullIds.has(target);
      for (const grant of grantsOf(props)) {
        const billing = isBilling(grant.member);
        if (onPull && !(billing && grant.role === TOKEN_CREATOR)) {
          reportViolation(
            `grants ${grant.role ?? "a role"} to ${grant.member} on pull identity ${target}: only billing's ${TOKEN_CREATOR} is allowed.`,
            resource.urn,
          );
        } else if (onPull) {
          minted.add(target);
        } else if (billing) {
          reportViolation(
            `grants ${grant.role ?? "a role"} to billing (${grant.member}) on ${String(props.serviceAccountId)}, which is not a registry pull identity.`,
            resource.urn,
          );
        }
      }
    }
    if (!billingInStack) return;
    for (const account of accounts) {
      const id = (account.props as { accountId?: unknown }).accountId;
      if (typeof id === "string" && pullIds.has(id) && !minted.has(id)) {
        reportViolation(
          `billing holds no ${TOKEN_CREATOR} on pull identity ${id}: customers of that tier get no pull token.`,
          account.urn,
        );
      }
    }
  },
};
