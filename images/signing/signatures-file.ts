/**
 * The signatures file the release writes and CI checks (`images/signatures/<stack>.json`): one sigstore
 * bundle (and the simple-signing payload it signs) per image reference, so the gate runs offline without
 * registry credentials. The public key it is checked against is NOT in this file — it is pinned separately
 * in `images/keys/<stack>.pem` (reviewed once per key version), so editing one file cannot swap both.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import type { ImageSignatureBundle } from "./bundle.js";

export interface SignatureEntry {
  /** base64 of the simple-signing payload the bundle signs. */
  payload: string;
  bundle: ImageSignatureBundle;
}

export interface SignaturesFile {
  /** The KMS key version that signed (documentation; the pinned PEM is what verification trusts). */
  keyVersion?: string;
  /** `registry/repository@sha256:…` → its signature. */
  images: Record<string, SignatureEntry>;
}

export const signaturesPath = (repoRoot: string, stack: string) =>
  path.join(repoRoot, "images", "signatures", `${stack}.json`);
export const pinnedKeyPath = (repoRoot: string, stack: string) =>
  path.join(repoRoot, "images", "keys", `${stack}.pem`);

export function readSignaturesFile(file: string): SignaturesFile {
  if (!existsSync(file)) return { images: {} };
  const parsed = JSON.parse(readFileSync(file, "utf8")) as Partial<SignaturesFile>;
  if (
    typeof parsed !== "object" ||
    parsed === null ||
    typeof parsed.images !== "object" ||
    parsed.images === null
  ) {
    throw new Error(`${file} is not a signatures file (expected {"images": {…}})`);
  }
  return { keyVersion: parsed.keyVersion, images: parsed.images };
}

/** Adds or replaces one image's entry; keys sorted so the diff a release makes is one entry. */
export function recordSignature(
  file: string,
  reference: string,
  entry: SignatureEntry,
  keyVersion: string,
): void {
  const current = readSignaturesFile(file);
  const images = { ...current.images, [reference]: entry };
  const sorted = Object.fromEntries(
    Object.keys(images)
      .sort()
      .map((k) => [k, images[k]!]),
  );
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, `${JSON.stringify({ keyVersion, images: sorted }, null, 2)}\n`);
}
