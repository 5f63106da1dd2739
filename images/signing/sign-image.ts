/**
 * Signing one image: check the manifest is in the registry, sign cosign's payload for its digest with the
 * KMS signer, store the signature where cosign looks, verify what was stored against the key KMS holds,
 * and return the sigstore bundle for the signatures file (images/signatures/<stack>.json).
 */
import { type ImageSignatureBundle, toBundle } from "./bundle.js";
import { attachSignature } from "./cosign-storage.js";
import type { KmsSigner } from "./kms-signer.js";
import { simpleSigningPayload } from "./payload.js";
import { type DigestReference, formatReference, repositoryName } from "./reference.js";
import type { RegistryClient } from "./registry-client.js";
import { verifyImageInRegistry } from "./verify-image.js";

export interface SignedImage {
  reference: string;
  signatureManifest: string;
  publicKeyPem: string;
  payload: string;
  bundle: ImageSignatureBundle;
}

export async function signImage(
  ref: DigestReference,
  signer: KmsSigner,
  client: RegistryClient,
): Promise<SignedImage> {
  const manifest = await client.getManifest(ref.repository, ref.digest);
  if (!manifest) throw new Error(`${formatReference(ref)} is not in the registry: push it by digest first`);
  const { pem, hint } = await signer.publicKey();
  const payload = simpleSigningPayload(repositoryName(ref), ref.digest);
  const { signature } = await signer.sign(payload);
  const signatureManifest = await attachSignature(client, ref, payload, signature, hint);
  const check = await verifyImageInRegistry(ref, pem, client);
  if (!check.ok) throw new Error(`the signature just stored does not verify: ${check.message}`);
  return {
    reference: formatReference(ref),
    signatureManifest,
    publicKeyPem: pem,
    payload: payload.toString("base64"),
    bundle: toBundle(payload, signature, pem),
  };
}
