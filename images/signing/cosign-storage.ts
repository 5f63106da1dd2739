/**
 * Signatures stored where cosign looks for them (sigstore/cosign specs/SIGNATURE_SPEC.md): an OCI image
 * manifest tagged `sha256-<hex>.sig` in the image's repository, one layer per signature, each layer the
 * simple-signing payload with the base64 signature in the `dev.cosignproject.cosign/signature`
 * annotation. `cosign verify --key …` (v2, and v3, which falls back to this format when an image has no
 * bundle referrer) reads exactly this. Why this and not the OCI 1.1 bundle referrer: ADR 0189.
 */

import { SIMPLE_SIGNING_MEDIA_TYPE } from "./payload.js";
import { type DigestReference, signatureTag } from "./reference.js";
import { OCI_MANIFEST, type RegistryClient } from "./registry-client.js";

export const SIGNATURE_ANNOTATION = "dev.cosignproject.cosign/signature";
/**
 * Ours, ignored by cosign: which key the signer says it used, so a failed check can say "signed with
 * another key" rather than "altered". Informational only — the signature check alone decides.
 */
export const KEY_HINT_ANNOTATION = "ai.coditect.signing/key-hint";
const CONFIG_MEDIA_TYPE = "application/vnd.oci.image.config.v1+json";

interface Layer {
  mediaType: string;
  digest: string;
  size: number;
  annotations?: Record<string, string>;
}

export interface StoredSignature {
  payload: Buffer;
  /** base64, as cosign stores it. */
  signature: string;
  keyHint?: string;
}

async function readLayers(client: RegistryClient, ref: DigestReference): Promise<Layer[] | undefined> {
  const manifest = await client.getManifest(ref.repository, signatureTag(ref.digest));
  if (!manifest) return undefined;
  const parsed = JSON.parse(manifest.bytes.toString("utf8")) as { layers?: Layer[] };
  return parsed.layers ?? [];
}

/** Adds one signature to the image's `.sig` manifest (keeping any already there); returns the manifest digest. */
export async function attachSignature(
  client: RegistryClient,
  ref: DigestReference,
  payload: Buffer,
  signature: Buffer,
  keyHint: string,
): Promise<string> {
  const blob = await client.pushBlob(ref.repository, payload);
  const layer: Layer = {
    mediaType: SIMPLE_SIGNING_MEDIA_TYPE,
    ...blob,
    annotations: { [SIGNATURE_ANNOTATION]: signature.toString("base64"), [KEY_HINT_ANNOTATION]: keyHint },
  };
  const existing = (await readLayers(client, ref)) ?? [];
  const layers = [
    ...existing.filter(
      (l) => l.annotations?.[SIGNATURE_ANNOTATION] !== layer.annotations?.[SIGNATURE_ANNOTATION],
    ),
    layer,
  ];
  // The config cosign writes: an image config whose rootfs lists the payload layers.
  const config = Buffer.from(
    JSON.stringify({
      architecture: "",
      created: "0001-01-01T00:00:00Z",
      history: [{ created: "0001-01-01T00:00:00Z" }],
      os: "",
      rootfs: { type: "layers", diff_ids: layers.map((l) => l.digest) },
      config: {},
    }),
  );
  const configBlob = await client.pushBlob(ref.repository, config);
  const manifest = Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: OCI_MANIFEST,
      config: { mediaType: CONFIG_MEDIA_TYPE, ...configBlob },
      layers,
    }),
  );
  return client.putManifest(ref.repository, signatureTag(ref.digest), manifest, OCI_MANIFEST);
}

/** Every cosign signature stored for the image ([] when it has none). */
export async function readSignatures(
  client: RegistryClient,
  ref: DigestReference,
): Promise<StoredSignature[]> {
  const layers = (await readLayers(client, ref)) ?? [];
  const signatures: StoredSignature[] = [];
  for (const layer of layers) {
    const signature = layer.annotations?.[SIGNATURE_ANNOTATION];
    if (layer.mediaType !== SIMPLE_SIGNING_MEDIA_TYPE || !signature) continue;
    signatures.push({
      payload: await client.getBlob(ref.repository, layer.digest),
      signature,
      keyHint: layer.annotations?.[KEY_HINT_ANNOTATION],
    });
  }
  return signatures;
}
