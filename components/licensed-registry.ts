/**
 * LicensedRegistry: Docker repositories per license tier plus an internal one for our own images.
 *
 * Tier isolation is enforced by IAM, not by what the API hands out (seed-notes D8): every tier has its own
 * pull identity, and that identity can read only the repositories its tier is entitled to. Billing mints
 * short-lived pull tokens by impersonating the identity of the customer's tier, so a Pro token cannot read
 * Enterprise images. Tags are immutable, old untagged versions are cleaned up, images are scanned, storage
 * is encrypted with our key, and nothing is ever granted to a public principal.
 */
import * as gcp from "@pulumi/gcp";
import * as pulumi from "@pulumi/pulumi";
import { assertNoPublicMembers } from "./iam-members.js";
import { childName, serviceAccountId } from "./naming.js";

/** License tiers that receive images (Starter has none, seed-notes C7). */
export type RegistryTier = "pro" | "enterprise";
export const REGISTRY_TIERS: RegistryTier[] = ["pro", "enterprise"];
/** The tier repositories, the internal one (control plane) and the workstation image's own. */
export type RepositoryKey = RegistryTier | "internal" | "workstation";

/** Which repositories each tier's pull identity may read: Enterprise includes the Pro images. */
export function repositoriesReadableBy(tier: RegistryTier): RegistryTier[] {
  return tier === "enterprise" ? ["pro", "enterprise"] : ["pro"];
}

/** Cleanup policies: keep the newest N versions, delete untagged versions older than the retention. */
export function cleanupPolicies(keepRecentVersions: number, untaggedRetentionDays: number) {
  return [
    { id: "keep-recent-versions", action: "KEEP", mostRecentVersions: { keepCount: keepRecentVersions } },
    {
      id: "delete-old-untagged",
      action: "DELETE",
      condition: { tagState: "UNTAGGED", olderThan: `${untaggedRetentionDays * 86_400}s` },
    },
  ];
}

export interface LicensedRegistryArgs {
  project: pulumi.Input<string>;
  /** Region of the repositories (the seeds: us-central1). */
  location: pulumi.Input<string>;
  /** Repository id per tier (the seeds: coditect-images for Pro, coditect-enterprise for Enterprise). */
  repositories: Record<RegistryTier, string>;
  /** Id of the internal repository holding the control-plane images (billing, operator). */
  internalRepositoryId: string;
  /** Id of the repository holding the workstation image alone (issue 13 L6, ADR 0172). */
  workstationRepositoryId: string;
  /** CMEK key for repository storage. */
  kmsKeyName: pulumi.Input<string>;
  keepRecentVersions: number;
  untaggedRetentionDays: number;
  /** Identities allowed to mint pull tokens (impersonate the tier pull identities): billing. */
  tokenIssuerMembers: pulumi.Input<string>[];
  /** Identities that push images (the CI build identity). */
  writerMembers: pulumi.Input<string>[];
  /** Identities that pull the control-plane images (GKE nodes). */
  internalReaderMembers: pulumi.Input<string>[];
  /**
   * Identities that pull the workstation image (the workstation VMs' account). They read that repository
   * only: a tenant inside a workstation holds its account's token and must not pull billing or the operator.
   */
  workstationReaderMembers: pulumi.Input<string>[];
  labels: Record<string, string>;
}

export class LicensedRegistry extends pulumi.ComponentResource {
  readonly repositories: Record<RepositoryKey, gcp.artifactregistry.Repository>;
  /** Pull identity (service account) per tier. */
  readonly pullIdentities: Record<RegistryTier, gcp.serviceaccount.Account>;
  /** `<region>-docker.pkg.dev/<project>/<repo>` per repository. */
  readonly urls: Record<RepositoryKey, pulumi.Output<string>>;

  constructor(name: string, args: LicensedRegistryArgs, opts?: pulumi.ComponentResourceOptions) {
    for (const [what, list] of [
      ["tokenIssuerMembers", args.tokenIssuerMembers],
      ["writerMembers", args.writerMembers],
      ["internalReaderMembers", args.internalReaderMembers],
      ["workstationReaderMembers", args.workstationReaderMembers],
    ] as const) {
      assertNoPublicMembers(
        list.filter((m): m is string => typeof m === "string"),
        `LicensedRegistry ${what}`,
      );
    }

    super("coditect:index:LicensedRegistry", name, {}, opts);

    const repository = (key: RepositoryKey, repositoryId: string, description: string) =>
      new gcp.artifactregistry.Repository(
        childName(name, key),
        {
          project: args.project,
          location: args.location,
          repositoryId,
          format: "DOCKER",
          mode: "STANDARD_REPOSITORY",
          description,
          dockerConfig: { immutableTags: true },
          kmsKeyName: args.kmsKeyName,
          vulnerabilityScanningConfig: { enablementConfig: "INHERITED" },
          cleanupPolicyDryRun: false,
          cleanupPolicies: cleanupPolicies(args.keepRecentVersions, args.untaggedRetentionDays),
          labels: { ...args.labels, tier: key },
        },
        { parent: this },
      );
    this.repositories = {
      pro: repository("pro", args.repositories.pro, "Licensed images for the Pro tier (base images)"),
      enterprise: repository(
        "enterprise",
        args.repositories.enterprise,
        "Licensed images for the Enterprise tier",
      ),
      internal: repository("internal", args.internalRepositoryId, "Control-plane images (internal)"),
      workstation: repository(
        "workstation",
        args.workstationRepositoryId,
        "The workstation image (read by the workstation VMs only)",
      ),
    };

    const location = pulumi.output(args.location);
    const project = pulumi.output(args.project);
    const urlOf = (repo: gcp.artifactregistry.Repository) =>
      pulumi.interpolate`${location}-docker.pkg.dev/${project}/${repo.repositoryId}`;
    this.urls = {
      pro: urlOf(this.repositories.pro),
      enterprise: urlOf(this.repositories.enterprise),
      internal: urlOf(this.repositories.internal),
      workstation: urlOf(this.repositories.workstation),
    };

    const pull: Partial<Record<RegistryTier, gcp.serviceaccount.Account>> = {};
    for (const tier of REGISTRY_TIERS) {
      const account = new gcp.serviceaccount.Account(
        childName(name, `pull-${tier}`),
        {
          project: args.project,
          accountId: serviceAccountId(["coditect-pull", tier]),
          displayName: `Registry pull identity for the ${tier} tier`,
          description:
            "Impersonated by billing to mint short-lived pull tokens; reads only its tier's repositories",
        },
        { parent: this },
      );
      pull[tier] = account;
      for (const readable of repositoriesReadableBy(tier)) {
        this.grantRepo(
          name,
          `pull-${tier}-reads-${readable}`,
          this.repositories[readable],
          "roles/artifactregistry.reader",
          account.member,
        );
      }
      args.tokenIssuerMembers.forEach((member, i) => {
        new gcp.serviceaccount.IAMMember(
          childName(name, `pull-${tier}-token-issuer-${i}`),
          { serviceAccountId: account.name, role: "roles/iam.serviceAccountTokenCreator", member },
          { parent: this },
        );
      });
    }
    this.pullIdentities = pull as Record<RegistryTier, gcp.serviceaccount.Account>;

    for (const key of ["pro", "enterprise", "internal", "workstation"] as const) {
      for (const [i, member] of args.writerMembers.entries()) {
        this.grantRepo(
          name,
          `${key}-writer-${i}`,
          this.repositories[key],
          "roles/artifactregistry.writer",
          member,
        );
      }
    }
    for (const [key, members] of [
      ["internal", args.internalReaderMembers],
      ["workstation", args.workstationReaderMembers],
    ] as const) {
      for (const [i, member] of members.entries()) {
        this.grantRepo(
          name,
          `${key}-reader-${i}`,
          this.repositories[key],
          "roles/artifactregistry.reader",
          member,
        );
      }
    }

    this.registerOutputs({ urls: this.urls });
  }

  private grantRepo(
    name: string,
    suffix: string,
    repo: gcp.artifactregistry.Repository,
    role: string,
    member: pulumi.Input<string>,
  ): void {
    new gcp.artifactregistry.RepositoryIamMember(
      childName(name, suffix),
      { project: repo.project, location: repo.location, repository: repo.name, role, member },
      { parent: this },
    );
  }
}
