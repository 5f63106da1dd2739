/** LicensedRegistry, SigningKey and BuildIdentity under mocks: the image supply chain. */
import * as pulumi from "@pulumi/pulumi";
import { beforeAll, describe, expect, it } from "vitest";
import { type Recording, resolveOutput, startRecording } from "../stacks/plan/harness.js";
import { BuildIdentity, githubAttributeCondition } from "./build-identity.js";
import { cleanupPolicies, LicensedRegistry, repositoriesReadableBy } from "./licensed-registry.js";
import { cosignKmsUri, cosignVerifyCommand, SigningKey } from "./signing-key.js";

let rec: Recording;
let registry: LicensedRegistry;
let signing: SigningKey;
let build: BuildIdentity;
const KMS_KEY = "projects/p/locations/us-central1/keyRings/r/cryptoKeys/artifact-registry";

beforeAll(async () => {
  rec = await startRecording({ project: "coditect-control-plane", stack: "test" });
  build = new BuildIdentity("ci", {
    project: "proj-test-1",
    githubRepository: "acme/app",
    githubRefs: ["refs/tags/v*"],
  });
  registry = new LicensedRegistry("reg", {
    project: "proj-test-1",
    location: "us-central1",
    repositories: { pro: "coditect-images", enterprise: "coditect-enterprise" },
    internalRepositoryId: "coditect-platform",
    workstationRepositoryId: "coditect-workstation-images",
    kmsKeyName: KMS_KEY,
    keepRecentVersions: 20,
    untaggedRetentionDays: 14,
    tokenIssuerMembers: ["serviceAccount:billing@proj-test-1.iam.gserviceaccount.com"],
    writerMembers: [build.member],
    internalReaderMembers: ["serviceAccount:nodes@proj-test-1.iam.gserviceaccount.com"],
    workstationReaderMembers: ["serviceAccount:workstations@proj-test-1.iam.gserviceaccount.com"],
    mirrorReaderMembers: ["serviceAccount:workstations@proj-test-1.iam.gserviceaccount.com"],
    labels: { system: "coditect" },
  });
  signing = new SigningKey("sign", {
    project: "proj-test-1",
    location: "us-central1",
    keyRingName: "coditect-container-signing",
    keyName: "cosign-signing-key",
    activeVersion: 2,
    importIds: {
      keyRing: "projects/proj-test-1/locations/us-central1/keyRings/coditect-container-signing",
      cryptoKey:
        "projects/proj-test-1/locations/us-central1/keyRings/coditect-container-signing/cryptoKeys/cosign-signing-key",
    },
    signerMembers: [build.member],
    labels: { system: "coditect" },
  });
  await rec.settle();
});

describe("LicensedRegistry", () => {
  it("creates the seeds' tier repositories, the internal one and the workstation image's, all hardened", () => {
    const repos = rec
      .ofType("gcp:artifactregistry/repository:Repository")
      .filter((r) => r.inputs.mode !== "REMOTE_REPOSITORY");
    expect(repos.map((r) => r.inputs.repositoryId).sort()).toEqual([
      "coditect-enterprise",
      "coditect-images",
      "coditect-platform",
      "coditect-workstation-images",
    ]);
    for (const repo of repos) {
      expect(repo.inputs).toMatchObject({
        format: "DOCKER",
        dockerConfig: { immutableTags: true },
        kmsKeyName: KMS_KEY,
        vulnerabilityScanningConfig: { enablementConfig: "INHERITED" },
        cleanupPolicyDryRun: false,
        cleanupPolicies: cleanupPolicies(20, 14),
      });
      expect(repo.parent).toBe(rec.get("coditect:index:LicensedRegistry", "reg").urn);
    }
  });

  it("isolates tiers by IAM: each pull identity reads only its entitled repositories (seed-notes D8)", () => {
    const grants = rec.ofType("gcp:artifactregistry/repositoryIamMember:RepositoryIamMember");
    const readable = (account: string) =>
      grants
        .filter(
          (g) =>
            g.inputs.role === "roles/artifactregistry.reader" &&
            g.inputs.member === `serviceAccount:${account}@proj-test-1.iam.gserviceaccount.com`,
        )
        .map((g) => g.inputs.repository)
        .sort();
    expect(readable("coditect-pull-pro")).toEqual(["coditect-images"]);
    expect(readable("coditect-pull-enterprise")).toEqual(["coditect-enterprise", "coditect-images"]);
    expect(repositoriesReadableBy("pro")).not.toContain("enterprise");
  });

  it("lets the workstation VMs read their image's repository only, and the GKE nodes the control plane's (L6)", () => {
    const readers = (member: string) =>
      rec
        .ofType("gcp:artifactregistry/repositoryIamMember:RepositoryIamMember")
        .filter((g) => g.inputs.member === `serviceAccount:${member}@proj-test-1.iam.gserviceaccount.com`)
        .map((g) => `${g.inputs.repository} ${g.inputs.role}`);
    expect(readers("workstations").sort()).toEqual([
      "coditect-mirror-debian roles/artifactregistry.reader",
      "coditect-mirror-npm roles/artifactregistry.reader",
      "coditect-mirror-pypi roles/artifactregistry.reader",
      "coditect-workstation-images roles/artifactregistry.reader",
    ]);
    expect(readers("nodes")).toEqual(["coditect-platform roles/artifactregistry.reader"]);
  });

  it("lets only the token issuer impersonate the pull identities and only CI write", () => {
    const impersonation = rec
      .ofType("gcp:serviceaccount/iAMMember:IAMMember")
      .filter((g) => g.parent?.endsWith("::reg"));
    expect(impersonation).toHaveLength(2);
    for (const grant of impersonation) {
      expect(grant.inputs).toMatchObject({
        role: "roles/iam.serviceAccountTokenCreator",
        member: "serviceAccount:billing@proj-test-1.iam.gserviceaccount.com",
      });
    }
    const writers = rec
      .ofType("gcp:artifactregistry/repositoryIamMember:RepositoryIamMember")
      .filter((g) => g.inputs.role === "roles/artifactregistry.writer");
    expect(new Set(writers.map((w) => w.inputs.member))).toEqual(
      new Set(["serviceAccount:coditect-image-builder@proj-test-1.iam.gserviceaccount.com"]),
    );
  });

  it("never grants anything to a public principal and refuses to", () => {
    const members = JSON.stringify(rec.resources.map((r) => r.inputs.member));
    expect(members).not.toMatch(/allUsers|allAuthenticatedUsers/);
    expect(
      () =>
        new LicensedRegistry("public", {
          project: "p",
          location: "us-central1",
          repositories: { pro: "a-repo", enterprise: "b-repo" },
          internalRepositoryId: "c-repo",
          workstationRepositoryId: "d-repo",
          kmsKeyName: KMS_KEY,
          keepRecentVersions: 1,
          untaggedRetentionDays: 1,
          tokenIssuerMembers: [],
          writerMembers: [],
          internalReaderMembers: ["allUsers"],
          workstationReaderMembers: [],
          mirrorReaderMembers: [],
          labels: {},
        }),
    ).toThrow(/internalReaderMembers must not contain public principals/);
  });

  it("mirrors npm, PyPI and Debian as encrypted, scanned remote repositories (workstation egress, ADR 0173)", async () => {
    const mirrors = rec
      .ofType("gcp:artifactregistry/repository:Repository")
      .filter((r) => r.inputs.mode === "REMOTE_REPOSITORY");
    expect(mirrors.map((r) => [r.inputs.repositoryId, r.inputs.format]).sort()).toEqual([
      ["coditect-mirror-debian", "APT"],
      ["coditect-mirror-npm", "NPM"],
      ["coditect-mirror-pypi", "PYTHON"],
    ]);
    for (const mirror of mirrors)
      expect(mirror.inputs).toMatchObject({
        kmsKeyName: KMS_KEY,
        vulnerabilityScanningConfig: { enablementConfig: "INHERITED" },
      });
    expect(await resolveOutput(pulumi.output(registry.mirrorUrls))).toEqual({
      npm: "us-central1-npm.pkg.dev/proj-test-1/coditect-mirror-npm",
      pypi: "us-central1-python.pkg.dev/proj-test-1/coditect-mirror-pypi",
      debian: "us-central1-apt.pkg.dev/proj-test-1/coditect-mirror-debian",
    });
  });

  it("outputs the registry URLs", async () => {
    expect(await resolveOutput(pulumi.output(registry.urls))).toEqual({
      pro: "us-central1-docker.pkg.dev/proj-test-1/coditect-images",
      enterprise: "us-central1-docker.pkg.dev/proj-test-1/coditect-enterprise",
      internal: "us-central1-docker.pkg.dev/proj-test-1/coditect-platform",
      workstation: "us-central1-docker.pkg.dev/proj-test-1/coditect-workstation-images",
    });
  });
});

describe("SigningKey", () => {
  it("is an HSM P-384 signing key without a rotation period, protected from destroy", () => {
    const key = rec.get("gcp:kms/cryptoKey:CryptoKey", "sign-key");
    expect(key.inputs).toMatchObject({
      name: "cosign-signing-key",
      purpose: "ASYMMETRIC_SIGN",
      versionTemplate: { algorithm: "EC_SIGN_P384_SHA384", protectionLevel: "HSM" },
    });
    expect(key.inputs).not.toHaveProperty("rotationPeriod");
    expect(key.protect).toBe(true);
    expect(rec.get("gcp:kms/keyRing:KeyRing", "sign-ring").protect).toBe(true);
    expect(key.dependencies).toContain(rec.get("gcp:kms/keyRing:KeyRing", "sign-ring").urn);
  });

  it("adopts the seeds' existing ring and key by import id, and never deletes either (rings cannot be)", () => {
    const ring = rec.get("gcp:kms/keyRing:KeyRing", "sign-ring");
    const key = rec.get("gcp:kms/cryptoKey:CryptoKey", "sign-key");
    expect(ring.importId).toBe(
      "projects/proj-test-1/locations/us-central1/keyRings/coditect-container-signing",
    );
    expect(key.importId).toBe(
      "projects/proj-test-1/locations/us-central1/keyRings/coditect-container-signing/cryptoKeys/cosign-signing-key",
    );
    expect([ring.retainOnDelete, key.retainOnDelete]).toEqual([true, true]);
  });

  it("grants the signer role to the build identity only, and nothing publicly", () => {
    const grants = rec
      .ofType("gcp:kms/cryptoKeyIAMMember:CryptoKeyIAMMember")
      .filter((g) => g.parent?.endsWith("::sign"));
    expect(grants.map((g) => [g.inputs.role, g.inputs.member])).toEqual([
      [
        "roles/cloudkms.signerVerifier",
        "serviceAccount:coditect-image-builder@proj-test-1.iam.gserviceaccount.com",
      ],
    ]);
    expect(grants[0]!.dependencies).toContain(rec.get("gcp:serviceaccount/account:Account", "ci-sa").urn);
  });

  it("outputs a version-pinned gcpkms:// URI, the public key and the verify command (seed-notes D2)", async () => {
    const keyId =
      "projects/proj-test-1/locations/us-central1/keyRings/coditect-container-signing/cryptoKeys/cosign-signing-key";
    expect(await resolveOutput(signing.keyId)).toBe(keyId);
    expect(await resolveOutput(signing.keyVersionUri)).toBe(`gcpkms://${keyId}/cryptoKeyVersions/2`);
    expect(await resolveOutput(signing.verifyCommand)).toBe(
      `cosign verify --key gcpkms://${keyId}/cryptoKeyVersions/2 <image>@sha256:<digest>`,
    );
    expect(await resolveOutput(signing.publicKeyPem)).toMatch(/BEGIN PUBLIC KEY/);
    expect(await resolveOutput(signing.publishedKeyVerifyCommand)).toBe(
      "cosign verify --key cosign-signing-key-v2.pub --signature-digest-algorithm sha384 <image>@sha256:<digest>",
    );
  });

  it("rejects invalid versions and public viewers", () => {
    expect(() => cosignKmsUri("k", 0)).toThrow(/positive integer/);
    expect(cosignVerifyCommand("k.pub", "img@sha256:1")).toBe("cosign verify --key k.pub img@sha256:1");
    expect(
      () =>
        new SigningKey("bad", {
          project: "p",
          location: "l",
          keyRingName: "r",
          keyName: "k",
          activeVersion: 1,
          signerMembers: [],
          publicKeyViewerMembers: ["allUsers"],
          labels: {},
        }),
    ).toThrow(/SigningKey members must not contain public principals \(allUsers\)/);
  });
});

describe("BuildIdentity", () => {
  it("federates GitHub Actions of one repository and its release tags, without keys", () => {
    const provider = rec.get(
      "gcp:iam/workloadIdentityPoolProvider:WorkloadIdentityPoolProvider",
      "ci-github",
    );
    expect(provider.inputs).toMatchObject({
      oidc: { issuerUri: "https://token.actions.githubusercontent.com" },
      // Releases run on tags: a condition that admits only refs/heads/main would refuse every release.
      attributeCondition: 'assertion.repository == "acme/app" && assertion.ref.startsWith("refs/tags/v")',
    });
    const binding = rec.get("gcp:serviceaccount/iAMMember:IAMMember", "ci-federation");
    expect(binding.inputs.role).toBe("roles/iam.workloadIdentityUser");
    expect(binding.inputs.member).toMatch(
      /^principalSet:\/\/iam\.googleapis\.com\/.*\/attribute\.repository\/acme\/app$/,
    );
    expect(rec.ofType("gcp:serviceaccount/key:Key")).toEqual([]);
  });

  it("refuses values that would break out of the CEL condition", () => {
    expect(() => githubAttributeCondition('acme/app" || true || "', ["refs/heads/main"])).toThrow(
      /must not contain quotes/,
    );
    expect(() => githubAttributeCondition("acme/app", ["refs/tags/*v"])).toThrow(/only at its end/);
    expect(() => githubAttributeCondition("acme/app", [])).toThrow(/at least one ref/);
  });

  it("admits several refs, exact or by prefix", () => {
    expect(githubAttributeCondition("acme/app", ["refs/heads/main", "refs/tags/v*"])).toBe(
      'assertion.repository == "acme/app" && (assertion.ref == "refs/heads/main" || assertion.ref.startsWith("refs/tags/v"))',
    );
  });
});
