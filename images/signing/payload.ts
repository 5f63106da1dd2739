/**
 * Cosign's "simple signing" payload: the signed claim that binds a signature to one manifest digest
 * (sigstore/cosign specs/SIGNATURE_SPEC.md, "Payloads"). The signature is over these exact bytes, so the
 * key order and spacing match what cosign generates (`cosign generate <image>`).
 */
export const SIMPLE_SIGNING_MEDIA_TYPE = "application/vnd.dev.cosign.simplesigning.v1+json";
const SIGNATURE_TYPE = "cosign container image signature";

const DIGEST = /^sha256:[0-9a-f]{64}$/;

export function simpleSigningPayload(dockerReference: string, manifestDigest: string): Buffer {
  if (!DIGEST.test(manifestDigest)) throw new Error(`not a sha256 manifest digest: ${manifestDigest}`);
  return Buffer.from(
    JSON.stringify({
      critical: {
        identity: { "docker-reference": dockerReference },
        image: { "docker-manifest-digest": manifestDigest },
        type: SIGNATURE_TYPE,
      },
      optional: null,
    }),
  );
}

/** The manifest digest a payload vouches for, or an explanation of why it names none. */
export function payloadDigest(payload: Buffer): { digest: string } | { error: string } {
  let parsed: unknown;
  try {
    parsed = JSON.parse(payload.toString("utf8"));
  } catch {
    return { error: "the signed payload is not JSON" };
  }
  const critical = (parsed as { critical?: Record<string, unknown> }).critical;
  const digest = (critical?.image as { "docker-manifest-digest"?: unknown } | undefined)?.[
    "docker-manifest-digest"
  ];
  if (critical?.type !== SIGNATURE_TYPE || typeof digest !== "string" || !DIGEST.test(digest)) {
    return { error: "the signed payload is not a cosign container image signature" };
  }
  return { digest };
}
