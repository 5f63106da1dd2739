/**
 * BuildIdentity: the identity GitHub Actions uses to push and sign images, through Workload Identity
 * Federation (seed-notes D3: signing runs in GitHub Actions, so that is what gets the signer role; no
 * long-lived service-account keys exist). Only the configured repository and ref can obtain it.
 */
import * as gcp from "@pulumi/gcp";
import * as pulumi from "@pulumi/pulumi";
import { childName, gcpResourceId, serviceAccountId } from "./naming.js";

export const GITHUB_OIDC_ISSUER = "https://token.actions.githubusercontent.com";

/** The CEL condition that admits only tokens from one repository and ref. */
export function githubAttributeCondition(repository: string, ref: string): string {
  for (const [what, value] of [
    ["repository", repository],
    ["ref", ref],
  ] as const) {
    if (/["\\]/.test(value))
      throw new Error(`GitHub ${what} "${value}" must not contain quotes or backslashes`);
  }
  return `assertion.repository == "${repository}" && assertion.ref == "${ref}"`;
}

export interface BuildIdentityArgs {
  project: pulumi.Input<string>;
  /** `owner/repo` allowed to act as the builder. */
  githubRepository: string;
  /** Git ref allowed to act as the builder, e.g. refs/heads/main. */
  githubRef: string;
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
        attributeCondition: githubAttributeCondition(args.githubRepository, args.githubRef),
      },
      { parent: this },
    );
    this.serviceAccount = new gcp.serviceaccount.Account(
      childName(name, "sa"),
      {
        project: args.project,
        accountId: serviceAccountId(["coditect-image-builder"]),
        displayName: "CI image builder and signer",
        description: `Impersonated by GitHub Actions of ${args.githubRepository} (${args.githubRef})`,
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
