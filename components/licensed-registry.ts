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

/**
 * Package mirrors for the workstations (issue 13 L6, docs/adr/0173): Artifact Registry remote repositories
 * that proxy and cache the public registries. Workstation egress is default-deny; these are reached through
 * Private Google Access like every other Google API, so a workstation needs no route to the internet.
 */
export const PACKAGE_MIRRORS = {
  npm: {
    repositoryId: "coditect-mirror-npm",
    format: "NPM",
    remoteRepositoryConfig: { description: "npmjs.org", npmRepository: { publicRepository: "NPMJS" } },
  },
  pypi: {
    repositoryId: "coditect-mirror-pypi",
    format: "PYTHON",
    remoteRepositoryConfig: { description: "PyPI", pythonRepository: { publicRepository: "PYPI" } },
  },
  debian: {
    repositoryId: "coditect-mirror-debian",
    format: "APT",
    remoteRepositoryConfig: {
      description: "Debian bookworm",
      aptRepository: {
        publicRepository: { repositoryBase: "DEBIAN", repositoryPath: "debian/dists/bookworm" },
      },
    },
  },
} as const;
export type MirrorKey = keyof typeof PACKAGE_MIRRORS;

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
  /** Identities that read the package mirrors (the workstation VMs' account). */
  mirrorReaderMembers: pulumi.Input<string>[];
  labels: Record<string, string>;
}

export class LicensedRegistry extends pulumi.ComponentResource {
  readonly repositories: Record<RepositoryKey, gcp.artifactregistry.Repository>;
  /** Pull identity (service account) per tier. */
  readonly pullIdentities: Record<RegistryTier, gcp.serviceaccount.Account>;
  /** `<region>-docker.pkg.dev/<project>/<repo>` per repository. */
  readonly urls: Record<RepositoryKey, pulumi.Output<string>>;
  /** The package mirrors (remote repositories) and their URLs (`<region>-<format>.pkg.dev/<project>/<repo>`). */
  readonly mirrors: Record<MirrorKey, gcp.artifactregistry.Repository>;
  readonly mirrorUrls: Record<MirrorKey, pulumi.Output<string>>;

  constructor(name: string, args: LicensedRegistryArgs, opts?: pulumi.ComponentResourceOptions) {
    for (const [what, list] of [
      ["tokenIssuerMembers", args.tokenIssuerMembers],
      ["writerMembers", args.writerMembers],
      ["internalReaderMembers", args.internalReaderMembers],
      ["workstationReaderMembers", args.workstationReaderMembers],
      ["mirrorReaderMembers", args.mirrorReaderMembers],
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

    const mirrors: Partial<Record<MirrorKey, gcp.artifactregistry.Repository>> = {};
    const mirrorUrls: Partial<Record<MirrorKey, pulumi.Output<string>>> = {};
    for (const [key, mirror] of Object.entries(PACKAGE_MIRRORS) as [
      MirrorKey,
      (typeof PACKAGE_MIRRORS)[MirrorKey],
    ][]) {
      const repo = new gcp.artifactregistry.Repository(
        childName(name, `mirror-${key}`),
        {
          project: args.project,
          location: args.location,
          repositoryId: mirror.repositoryId,
          format: mirror.format,
          mode: "REMOTE_REPOSITORY",
          description: `Package mirror of ${mirror.remoteRepositoryConfig.description} for the workstations`,
          remoteRepositoryConfig: mirror.remoteRepositoryConfig,
          kmsKeyName: args.kmsKeyName,
          vulnerabilityScanningConfig: { enablementConfig: "INHERITED" },
          labels: { ...args.labels, tier: "mirror" },
        },
        { parent: this },
      );
      mirrors[key] = repo;
      mirrorUrls[key] =
        pulumi.interpolate`${location}-${mirror.format.toLowerCase()}.pkg.dev/${project}/${repo.repositoryId}`;
      for (const [i, member] of args.mirrorReaderMembers.entries()) {
        this.grantRepo(name, `mirror-${key}-reader-${i}`, repo, "roles/artifactregistry.reader", member);
      }
    }
    this.mirrors = mirrors as Record<MirrorKey, gcp.artifactregistry.Repository>;
    this.mirrorUrls = mirrorUrls as Record<MirrorKey, pulumi.Output<string>>;

    this.registerOutputs({ urls: this.urls, mirrorUrls: this.mirrorUrls });
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
