/**
 * BuildIdentity: the identity GitHub Actions uses to push and sign images, through Workload Identity
 * Federation (seed-notes D3: signing runs in GitHub Actions, so that is what gets the signer role; no
 * long-lived service-account keys exist). Only the configured repository and refs (prod: release tags
 * `refs/tags/v*`) can obtain it. Releases push images by digest and immutable version tags only, never a
 * moving tag (ADR 0108).
 */
import * as gcp from "@pulumi/gcp";
import * as pulumi from "@pulumi/pulumi";
import { childName, gcpResourceId, serviceAccountId } from "./naming.js";

export const GITHUB_OIDC_ISSUER = "https://token.actions.githubusercontent.com";

/**
 * The CEL condition that admits only tokens from one repository and the given refs. A ref ending in `*`
 * is a prefix (`refs/tags/v*`: release tags); anything else must match exactly (ADR 0108).
 */
export function githubAttributeCondition(repository: string, refs: readonly string[]): string {
  if (refs.length === 0) throw new Error("GitHub refs must name at least one ref");
  for (const [what, value] of [["repository", repository], ...refs.map((r) => ["ref", r] as const)]) {
    if (/["\\]/.test(value))
      throw new Error(`GitHub ${what} "${value}" must not contain quotes or backslashes`);
  }
  const clauses = refs.map((ref) => {
    if (ref.indexOf("*") !== -1 && ref.indexOf("*") !== ref.length - 1) {
      throw new Error(`GitHub ref "${ref}" may hold "*" only at its end (a prefix)`);
    }
    return ref.endsWith("*")
      ? `assertion.ref.startsWith("${ref.slice(0, -1)}")`
      : `assertion.ref == "${ref}"`;
  });
  const refClause = clauses.length === 1 ? clauses[0]! : `(${clauses.join(" || ")})`;
  return `assertion.repository == "${repository}" && ${refClause}`;
}

export interface BuildIdentityArgs {
  project: pulumi.Input<string>;
  /** `owner/repo` allowed to act as the builder. */
  githubRepository: string;
  /** Git refs allowed to act as the builder, e.g. refs/tags/v* (release tags; a trailing * is a prefix). */
  githubRefs: string[];
}

export class BuildIdentity extends pulumi.ComponentResource {
  readonly serviceAccount: gcp.serviceaccount.Account;
  /** `serviceAccount:<email>`, for IAM grants. */
  readonly member: pulumi.Output<string>;
  /** Full provider name for `google-github-actions/auth` (`workload_identity_provider`). */
  readonly workloadIdentityProvider: pulumi.Output<string>;

  constructor(name: string, args: BuildIdentityArgs, opts?: pulumi.ComponentResourceOptions) {
    super("coditect:index:BuildIdentity", name, {}, opts);
    const pool = new gcp.iam.WorkloadIdentityPool(
      childName(name, "pool"),
      {
        project: args.project,
        workloadIdentityPoolId: gcpResourceId([name, "github"], 32),
        displayName: "GitHub Actions",
        description: "Federated identities for CODITECT CI (no service-account keys)",
      },
      { parent: this },
    );
    const provider = new gcp.iam.WorkloadIdentityPoolProvider(
      childName(name, "github"),
      {
        project: args.project,
        workloadIdentityPoolId: pool.workloadIdentityPoolId,
        workloadIdentityPoolProviderId: "github",
        displayName: "GitHub OIDC",
        oidc: { issuerUri: GITHUB_OIDC_ISSUER },
        attributeMapping: {
          "google.subject": "assertion.sub",
          "attribute.repository": "assertion.repository",
          "attribute.ref": "assertion.ref",
        },
        attributeCondition: githubAttributeCondition(args.githubRepository, args.githubRefs),
      },
      { parent: this },
    );
    this.serviceAccount = new gcp.serviceaccount.Account(
      childName(name, "sa"),
      {
        project: args.project,
        accountId: serviceAccountId(["coditect-image-builder"]),
        displayName: "CI image builder and signer",
        description: `Impersonated by GitHub Actions of ${args.githubRepository} (${args.githubRefs.join(", ")})`,
      },
      { parent: this },
    );
    new gcp.serviceaccount.IAMMember(
      childName(name, "federation"),
      {
        serviceAccountId: this.serviceAccount.name,
        role: "roles/iam.workloadIdentityUser",
        member: pulumi.interpolate`principalSet://iam.googleapis.com/${pool.name}/attribute.repository/${args.githubRepository}`,
      },
      { parent: this },
    );
    this.member = this.serviceAccount.member;
    this.workloadIdentityProvider = provider.name;
    this.registerOutputs({
      serviceAccountEmail: this.serviceAccount.email,
      workloadIdentityProvider: provider.name,
    });
  }
}
