/**
 * Sigstore bundles for image signatures, and their offline verification with `@sigstore/verify`.
 *
 * The bundle is a v0.3 messageSignature bundle over cosign's simple-signing payload, with the public key
 * hint as verification material (key-based: no certificate, no transparency-log entry; ADR 0187). It is
 * written by hand rather than by `MessageSignatureBundleBuilder` because the builders record SHA-256
 * whatever the key; a P-384 KMS signature is over SHA-384, and the bundle must say so (`SHA2_384`) for a
 * verifier to check it (ADR 0188).
 */
import crypto from "node:crypto";
import { BUNDLE_V03_MEDIA_TYPE, bundleFromJSON } from "@sigstore/bundle";
import { toSignedEntity, toTrustMaterial, Verifier } from "@sigstore/verify";
import { keyDigestAlgorithm, keyHint } from "./keys.js";
import { payloadDigest } from "./payload.js";

const HASH_NAMES = { sha384: "SHA2_384", sha256: "SHA2_256" } as const;

/** The JSON form of the bundles this module writes (a subset of sigstore's SerializedBundle). */
export interface ImageSignatureBundle {
  mediaType: string;
  verificationMaterial: {
    publicKey: { hint: string };
    tlogEntries: unknown[];
    timestampVerificationData: { rfc3161Timestamps: unknown[] };
  };
  messageSignature: { messageDigest: { algorithm: string; digest: string }; signature: string };
}

export function toBundle(payload: Buffer, signature: Buffer, publicKeyPem: string): ImageSignatureBundle {
  const hash = keyDigestAlgorithm(publicKeyPem);
  return {
    mediaType: BUNDLE_V03_MEDIA_TYPE,
    verificationMaterial: {
      publicKey: { hint: keyHint(publicKeyPem) },
      tlogEntries: [],
      timestampVerificationData: { rfc3161Timestamps: [] },
    },
    messageSignature: {
      messageDigest: {
        algorithm: HASH_NAMES[hash],
        digest: crypto.createHash(hash).update(payload).digest("base64"),
      },
      signature: signature.toString("base64"),
    },
  };
}

export type VerifyFailureReason =
  | "missing-signature"
  | "malformed-bundle"
  | "wrong-hash-algorithm"
  | "tampered"
  | "wrong-key"
  | "digest-mismatch";

export type VerifyOutcome =
  | { ok: true; digest: string; hashAlgorithm: string }
  | { ok: false; reason: VerifyFailureReason; message: string };

const EMPTY_TRUSTED_ROOT = {
  mediaType: "application/vnd.dev.sigstore.trustedroot+json;version=0.1",
  tlogs: [],
  certificateAuthorities: [],
  ctlogs: [],
  timestampAuthorities: [],
};

/**
 * Verifies that `bundle` signs `payload` with the pinned key and that the payload vouches for
 * `expectedDigest`. Offline: the trusted root is empty and the only trusted key is the pinned one.
 */
export function verifyImageSignature(
  bundleJson: unknown,
  payload: Buffer,
  expectedDigest: string,
  publicKeyPem: string,
): VerifyOutcome {
  const fail = (reason: VerifyFailureReason, message: string): VerifyOutcome => ({
    ok: false,
    reason,
    message,
  });
  let bundle: ReturnType<typeof bundleFromJSON>;
  try {
    bundle = bundleFromJSON(bundleJson);
  } catch (error) {
    return fail("malformed-bundle", `the signature bundle is malformed: ${(error as Error).message}`);
  }
  if (
    bundle.content.$case !== "messageSignature" ||
    bundle.verificationMaterial.content.$case !== "publicKey"
  ) {
    return fail("malformed-bundle", "the signature bundle is not a key-based message signature");
  }
  const expectedHash = keyDigestAlgorithm(publicKeyPem);
  const recorded = bundle.content.messageSignature.messageDigest?.algorithm;
  const recordedName =
    recorded === 2 ? "SHA2_384" : recorded === 1 ? "SHA2_256" : `hash algorithm ${recorded}`;
  if (recordedName !== HASH_NAMES[expectedHash]) {
    return fail(
      "wrong-hash-algorithm",
      `the bundle records ${recordedName}, but the pinned key signs ${HASH_NAMES[expectedHash]} digests`,
    );
  }
  // @sigstore/verify compares messageDigest with the artifact only inside transparency-log checks; with
  // no log the recorded digest would go unchecked, so a bundle altered there would still pass.
  const recordedDigest = Buffer.from(bundle.content.messageSignature.messageDigest?.digest ?? []);
  if (!recordedDigest.equals(crypto.createHash(expectedHash).update(payload).digest())) {
    return fail("tampered", "the bundle's message digest is not the digest of the signed payload (altered)");
  }
  const pinnedHint = keyHint(publicKeyPem);
  const trust = toTrustMaterial(EMPTY_TRUSTED_ROOT as Parameters<typeof toTrustMaterial>[0], () => ({
    publicKey: crypto.createPublicKey(publicKeyPem),
    validFor: () => true,
  }));
  try {
    new Verifier(trust, { tlogThreshold: 0, ctlogThreshold: 0, timestampThreshold: 0 }).verify(
      toSignedEntity(bundle, payload),
    );
  } catch (error) {
    const detail = (error as Error).message;
    const signedBy = bundle.verificationMaterial.content.publicKey.hint;
    if (/digest/i.test(detail) && !/signature/i.test(detail)) {
      return fail("tampered", `the payload does not match the bundle's message digest (altered): ${detail}`);
    }
    if (signedBy !== pinnedHint) {
      return fail("wrong-key", `signed by key ${signedBy}, not by the pinned key ${pinnedHint}: ${detail}`);
    }
    return fail(
      "tampered",
      `the signature does not verify against the pinned key ${pinnedHint} (altered): ${detail}`,
    );
  }
  const claimed = payloadDigest(payload);
  if ("error" in claimed) return fail("tampered", claimed.error);
  if (claimed.digest !== expectedDigest) {
    return fail("digest-mismatch", `the signature is for ${claimed.digest}, not ${expectedDigest}`);
  }
  return { ok: true, digest: expectedDigest, hashAlgorithm: recordedName };
}
