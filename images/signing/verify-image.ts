/**
 * Verifying an image's signature from the registry: read cosign's `.sig` manifest, turn each stored
 * signature into a sigstore bundle and check it offline with @sigstore/verify against the pinned key.
 * One valid signature for the digest is enough; otherwise the most telling failure is reported.
 */
import { toBundle, type VerifyFailureReason, type VerifyOutcome, verifyImageSignature } from "./bundle.js";
import { readSignatures } from "./cosign-storage.js";
import { type DigestReference, formatReference, signatureTag } from "./reference.js";
import type { RegistryClient } from "./registry-client.js";

/** Which failure to report when several signatures fail: the one closest to "valid". */
const SEVERITY: VerifyFailureReason[] = [
  "digest-mismatch",
  "wrong-key",
  "wrong-hash-algorithm",
  "tampered",
  "malformed-bundle",
  "missing-signature",
];

export async function verifyImageInRegistry(
  ref: DigestReference,
  publicKeyPem: string,
  client: RegistryClient,
): Promise<VerifyOutcome> {
  const stored = await readSignatures(client, ref);
  if (stored.length === 0) {
    return {
      ok: false,
      reason: "missing-signature",
      message: `${formatReference(ref)} has no signature (no ${signatureTag(ref.digest)} in ${ref.repository})`,
    };
  }
  const failures: Extract<VerifyOutcome, { ok: false }>[] = [];
  for (const { payload, signature, keyHint } of stored) {
    const bundle = toBundle(payload, Buffer.from(signature, "base64"), publicKeyPem);
    // The signer's claimed key (informational: it only words the failure; the signature check decides).
    bundle.verificationMaterial.publicKey.hint = keyHint ?? "unknown";
    const outcome = verifyImageSignature(bundle, payload, ref.digest, publicKeyPem);
    if (outcome.ok) return outcome;
    failures.push(outcome);
  }
  failures.sort((a, b) => SEVERITY.indexOf(a.reason) - SEVERITY.indexOf(b.reason));
  return failures[0]!;
}
