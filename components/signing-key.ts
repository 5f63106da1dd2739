/**
 * SigningKey: the Cloud KMS key that signs our images with cosign.
 *
 * - ASYMMETRIC_SIGN, EC_SIGN_P384_SHA384 on an HSM by default (seed 000:2715), protected from deletion.
 * - No rotation period: Cloud KMS cannot auto-rotate asymmetric keys (seed-notes D1; ADR 0021). Rotation is
 *   a new key version created by ops; verification is pinned to a version (D2), never to the bare key.
 * - Only the build identity may sign (D3); nobody public may read the public key (D4) — it is published
 *   as a file instead.
 */
import * as gcp from "@pulumi/gcp";
import * as pulumi from "@pulumi/pulumi";
import { assertNoPublicMembers } from "./iam-members.js";
import { childName } from "./naming.js";

export type SigningAlgorithm = "EC_SIGN_P384_SHA384" | "EC_SIGN_P256_SHA256";

export interface SigningKeyArgs {
  project: pulumi.Input<string>;
  location: pulumi.Input<string>;
  /** Key ring name (the seeds: coditect-container-signing). */
  keyRingName: string;
  /** Key name (the seeds: cosign-signing-key). */
  keyName: string;
  algorithm?: SigningAlgorithm;
  protectionLevel?: "HSM" | "SOFTWARE";
  /** The version images are signed with now; the cosign URI and public key are pinned to it. */
  activeVersion: number;
  /** Identities allowed to sign (the CI build identity only). */
  signerMembers: pulumi.Input<string>[];
  /** Identities allowed to fetch the public key from KMS (ops, admission verifiers); never public. */
  publicKeyViewerMembers?: pulumi.Input<string>[];
  /** Adopt an existing key ring / key (their full ids) instead of creating them (ADR 0103). */
  importIds?: { keyRing?: string; cryptoKey?: string };
  labels: Record<string, string>;
}

/** The cosign key reference for one key version (seed-notes D2: pinned, so old signatures stay verifiable). */
export function cosignKmsUri(cryptoKeyId: string, version: number): string {
  if (!Number.isInteger(version) || version < 1)
    throw new Error(`key version must be a positive integer, got ${version}`);
  return `gcpkms://${cryptoKeyId}/cryptoKeyVersions/${version}`;
}

/**
 * The command that verifies an image signed with the given key reference (a gcpkms:// URI or a PEM file).
 * With a PEM file cosign hashes with SHA-256 unless told otherwise, so a P-384 key's SHA-384 signatures
 * need `--signature-digest-algorithm sha384` (a gcpkms:// key brings its algorithm; docs/supply-chain.md).
 */
export function cosignVerifyCommand(
  keyRef: string,
  imageRef = "<image>@sha256:<digest>",
  digestAlgorithm?: "sha384",
): string {
  const digest = digestAlgorithm ? ` --signature-digest-algorithm ${digestAlgorithm}` : "";
  return `cosign verify --key ${keyRef}${digest} ${imageRef}`;
}

export class SigningKey extends pulumi.ComponentResource {
  readonly keyRing: gcp.kms.KeyRing;
  readonly cryptoKey: gcp.kms.CryptoKey;
  /** Full resource id of the key (`projects/…/cryptoKeys/<name>`). */
  readonly keyId: pulumi.Output<string>;
  /** `gcpkms://…/cryptoKeyVersions/<activeVersion>`. */
  readonly keyVersionUri: pulumi.Output<string>;
  /** PEM of the active version's public key; publish it for offline verification. */
  readonly publicKeyPem: pulumi.Output<string>;
  /** `cosign verify --key gcpkms://… <image>` for identities with KMS access. */
  readonly verifyCommand: pulumi.Output<string>;
  /** `cosign verify --key <published PEM> <image>` for customers. */
  readonly publishedKeyVerifyCommand: pulumi.Output<string>;

  constructor(name: string, args: SigningKeyArgs, opts?: pulumi.ComponentResourceOptions) {
    assertNoPublicMembers(
      [...args.signerMembers, ...(args.publicKeyViewerMembers ?? [])].filter(
        (m): m is string => typeof m === "string",
      ),
      "SigningKey members",
    );
    super("coditect:index:SigningKey", name, {}, opts);

    // Key rings can never be deleted in Cloud KMS: protected, and left in place should the stack drop it.
    this.keyRing = new gcp.kms.KeyRing(
      childName(name, "ring"),
      { project: args.project, location: args.location, name: args.keyRingName },
      {
        parent: this,
        protect: true,
        retainOnDelete: true,
        ...(args.importIds?.keyRing ? { import: args.importIds.keyRing } : {}),
      },
    );
    this.cryptoKey = new gcp.kms.CryptoKey(
      childName(name, "key"),
      {
        keyRing: this.keyRing.id,
        name: args.keyName,
        purpose: "ASYMMETRIC_SIGN",
        versionTemplate: {
          algorithm: args.algorithm ?? "EC_SIGN_P384_SHA384",
          protectionLevel: args.protectionLevel ?? "HSM",
        },
        // 30 days between a destroy request and the material being gone: time to notice a mistake.
        destroyScheduledDuration: `${30 * 86_400}s`,
        labels: args.labels,
      },
      {
        parent: this,
        protect: true,
        // Signatures made with it must stay verifiable: never destroyed by this stack.
        retainOnDelete: true,
        ...(args.importIds?.cryptoKey ? { import: args.importIds.cryptoKey } : {}),
      },
    );
    args.signerMembers.forEach((member, i) => {
      new gcp.kms.CryptoKeyIAMMember(
        childName(name, `signer-${i}`),
        { cryptoKeyId: this.cryptoKey.id, role: "roles/cloudkms.signerVerifier", member },
        { parent: this },
      );
    });
    (args.publicKeyViewerMembers ?? []).forEach((member, i) => {
      new gcp.kms.CryptoKeyIAMMember(
        childName(name, `public-key-viewer-${i}`),
        { cryptoKeyId: this.cryptoKey.id, role: "roles/cloudkms.publicKeyViewer", member },
        { parent: this },
      );
    });

    this.keyId = this.cryptoKey.id;
    this.keyVersionUri = this.cryptoKey.id.apply((id) => cosignKmsUri(id, args.activeVersion));
    const version = gcp.kms.getKMSCryptoKeyVersionOutput(
      { cryptoKey: this.cryptoKey.id, version: args.activeVersion },
      { parent: this },
    );
    this.publicKeyPem = version.publicKeys.apply((keys) => keys[0]?.pem ?? "");
    this.verifyCommand = this.keyVersionUri.apply((uri) => cosignVerifyCommand(uri));
    this.publishedKeyVerifyCommand = pulumi.output(
      cosignVerifyCommand(
        `${args.keyName}-v${args.activeVersion}.pub`,
        undefined,
        (args.algorithm ?? "EC_SIGN_P384_SHA384") === "EC_SIGN_P384_SHA384" ? "sha384" : undefined,
      ),
    );
    this.registerOutputs({
      keyId: this.keyId,
      keyRingId: this.keyRing.id,
      keyVersionUri: this.keyVersionUri,
      publicKeyPem: this.publicKeyPem,
      verifyCommand: this.verifyCommand,
    });
  }
}
