/**
 * The CI gate for images no admission controller checks (Cloud Workstations run whatever image their
 * config names): every image digest pinned in `Pulumi.<stack>.yaml` must carry a valid signature in the
 * stack's signatures file, made by the pinned key. Pure: the CLI reads the files.
 */
import { type VerifyOutcome, verifyImageSignature } from "./bundle.js";
import type { SignaturesFile } from "./signatures-file.js";

const NAMESPACE = "coditect-control-plane";

/** The stack config keys that pin an image, and where the value sits in their JSON object. */
const IMAGE_KEYS: { key: string; field: string }[] = [
  { key: "workstations", field: "image" },
  { key: "controlPlane", field: "operatorImage" },
  { key: "controlPlane", field: "billingImage" },
];

export interface PinnedImage {
  /** Dotted config path, e.g. `controlPlane.billingImage`. */
  configKey: string;
  reference: string;
}

/** The images a stack file pins (from `readStackFile(...).config`). */
export function pinnedImages(config: Record<string, string>): PinnedImage[] {
  const images: PinnedImage[] = [];
  for (const { key, field } of IMAGE_KEYS) {
    const raw = config[`${NAMESPACE}:${key}`];
    if (!raw) continue;
    const value = (JSON.parse(raw) as Record<string, unknown>)[field];
    if (typeof value === "string") images.push({ configKey: `${key}.${field}`, reference: value });
  }
  return images;
}

export type GateResult = PinnedImage & { outcome: VerifyOutcome };

export function checkPinnedImages(
  images: PinnedImage[],
  signatures: SignaturesFile,
  publicKeyPem: string,
): GateResult[] {
  return images.map((image) => {
    const entry = signatures.images[image.reference];
    if (!entry) {
      return {
        ...image,
        outcome: {
          ok: false,
          reason: "missing-signature",
          message: `${image.reference} has no signature in the signatures file (sign it: npm run images:sign)`,
        },
      };
    }
    const digest = image.reference.slice(image.reference.lastIndexOf("@") + 1);
    return {
      ...image,
      outcome: verifyImageSignature(entry.bundle, Buffer.from(entry.payload, "base64"), digest, publicKeyPem),
    };
  });
}
