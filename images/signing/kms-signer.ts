/**
 * A sigstore signer backed by a Cloud KMS asymmetric-signing key version (the HSM EC_SIGN_P384_SHA384 key
 * in production, the fake KMS locally). It implements `@sigstore/sign`'s `Signer` interface, so anything
 * that takes a sigstore signer can use it; it hashes locally and sends only the digest (the payload never
 * leaves the build), and it checks every CRC32C the way Google's data-integrity guidelines ask: the
 * digest's checksum goes with the request and must come back verified, the signature's checksum must
 * match the bytes received, the public key's checksum must match the PEM.
 *
 * No Fulcio certificate and no transparency log: key-based signing for a private registry (ADR 0187).
 */
import crypto from "node:crypto";
import type { KeyManagementServiceClient } from "@google-cloud/kms";
import type { Signature, Signer } from "@sigstore/sign";
import { crc32c, int64Value } from "./crc32c.js";
import { keyHint } from "./keys.js";

export type KmsSigningAlgorithm = "EC_SIGN_P384_SHA384" | "EC_SIGN_P256_SHA256";

/** The digest each supported algorithm signs, as the KMS Digest field and node:crypto name it. */
export const KMS_ALGORITHM_DIGESTS: Record<KmsSigningAlgorithm, "sha384" | "sha256"> = {
  EC_SIGN_P384_SHA384: "sha384",
  EC_SIGN_P256_SHA256: "sha256",
};

export class KmsSigningError extends Error {
  constructor(
    message: string,
    readonly grpcCode?: number,
  ) {
    super(message);
    this.name = "KmsSigningError";
  }
}

/** What a failed KMS call means for the person running the release, by gRPC status code. */
export function explainKmsError(keyVersionName: string, error: unknown): KmsSigningError {
  const code = (error as { code?: number }).code;
  const detail = (error as Error).message ?? String(error);
  const hints: Record<number, string> = {
    5: `key version ${keyVersionName} does not exist (check the --kms name: projects/…/cryptoKeyVersions/<n>)`,
    7: `permission denied on ${keyVersionName}: the signing identity needs roles/cloudkms.signerVerifier on the key`,
    9: `key version ${keyVersionName} is not enabled (disabled or scheduled for destruction): sign with the active version`,
  };
  return new KmsSigningError(`Cloud KMS: ${code !== undefined && hints[code] ? hints[code] : detail}`, code);
}

export interface KmsPublicKey {
  pem: string;
  algorithm: KmsSigningAlgorithm;
  /** Identifies the key in bundles (base64 SHA-256 of its SubjectPublicKeyInfo). */
  hint: string;
}

export class KmsSigner implements Signer {
  #publicKey: Promise<KmsPublicKey> | undefined;

  constructor(
    private readonly client: KeyManagementServiceClient,
    readonly keyVersionName: string,
  ) {}

  /** The version's public key, fetched once; its algorithm decides the digest. */
  publicKey(): Promise<KmsPublicKey> {
    this.#publicKey ??= this.#fetchPublicKey();
    this.#publicKey.catch(() => {
      this.#publicKey = undefined;
    });
    return this.#publicKey;
  }

  async #fetchPublicKey(): Promise<KmsPublicKey> {
    const [response] = await this.client
      .getPublicKey({ name: this.keyVersionName })
      .catch((error: unknown) => {
        throw explainKmsError(this.keyVersionName, error);
      });
    const pem = response.pem ?? "";
    if (int64Value(response.pemCrc32c) !== crc32c(pem)) {
      throw new KmsSigningError(
        `Cloud KMS: the public key of ${this.keyVersionName} arrived corrupted (pem_crc32c mismatch)`,
      );
    }
    const algorithm = String(response.algorithm);
    if (!(algorithm in KMS_ALGORITHM_DIGESTS)) {
      throw new KmsSigningError(
        `Cloud KMS: ${this.keyVersionName} is ${algorithm}; image signing needs EC_SIGN_P384_SHA384 (or EC_SIGN_P256_SHA256)`,
      );
    }
    return { pem, algorithm: algorithm as KmsSigningAlgorithm, hint: keyHint(pem) };
  }

  /** Signs `data` (hashed here with the key's digest); returns a sigstore Signature. */
  async sign(data: Buffer): Promise<Signature> {
    const key = await this.publicKey();
    const hash = KMS_ALGORITHM_DIGESTS[key.algorithm];
    const digest = crypto.createHash(hash).update(data).digest();
    const [response] = await this.client
      .asymmetricSign({
        name: this.keyVersionName,
        digest: { [hash]: digest },
        digestCrc32c: { value: crc32c(digest) },
      })
      .catch((error: unknown) => {
        throw explainKmsError(this.keyVersionName, error);
      });
    if (response.name !== this.keyVersionName) {
      throw new KmsSigningError(`Cloud KMS answered for ${response.name}, not ${this.keyVersionName}`);
    }
    if (!response.verifiedDigestCrc32c) {
      throw new KmsSigningError(
        "Cloud KMS did not verify the digest's checksum: the request may have been corrupted",
      );
    }
    const signature = Buffer.from(response.signature ?? []);
    if (int64Value(response.signatureCrc32c) !== crc32c(signature)) {
      throw new KmsSigningError(
        "Cloud KMS signature arrived corrupted (signature_crc32c mismatch); sign again",
      );
    }
    return { signature, key: { $case: "publicKey", publicKey: key.pem, hint: key.hint } };
  }
}
