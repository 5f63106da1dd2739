/**
 * Sign → store → verify against a real registry (Debian's docker-registry) and the fake Cloud KMS, and
 * every way verification must fail: wrong key, a signature moved to another digest, an altered signature
 * or bundle, a bundle recording the wrong hash, no signature at all.
 */
import crypto from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type FakeKms, startFakeKms } from "../../test-support/fake-kms/index.js";
import { type LocalRegistry, startRegistry } from "../../test-support/registry/index.js";
import { pushTinyImage } from "../../test-support/registry/tiny-image.js";
import { verifyImageSignature } from "./bundle.js";
import { attachSignature, KEY_HINT_ANNOTATION, SIGNATURE_ANNOTATION } from "./cosign-storage.js";
import { KmsSigner } from "./kms-signer.js";
import { SIMPLE_SIGNING_MEDIA_TYPE } from "./payload.js";
import { signatureTag } from "./reference.js";
import { OCI_MANIFEST, RegistryClient } from "./registry-client.js";
import { signImage } from "./sign-image.js";
import { verifyImageInRegistry } from "./verify-image.js";

process.env.METADATA_SERVER_DETECTION = "none";
const KEY =
  "projects/p/locations/us-central1/keyRings/coditect-container-signing/cryptoKeys/cosign-signing-key";
const V1 = `${KEY}/cryptoKeyVersions/1`;
const OTHER = "projects/p/locations/us-central1/keyRings/other/cryptoKeys/someone-else/cryptoKeyVersions/1";

let registry: LocalRegistry;
let kms: FakeKms;
let pem: string;
let client: RegistryClient;
beforeAll(async () => {
  [registry, kms] = await Promise.all([startRegistry(), startFakeKms()]);
  pem = kms.createKeyVersion(V1);
  kms.createKeyVersion(OTHER);
  client = new RegistryClient(registry.host, undefined);
}, 60_000);
afterAll(async () => {
  await Promise.all([registry?.stop(), kms?.stop()]);
});

describe("images:sign through KMS into the registry, images:verify from it", () => {
  it("stores the signature where cosign looks: tag sha256-<hex>.sig, simple-signing layer, signature annotation", async () => {
    const ref = await pushTinyImage(registry.host, "coditect/billing");
    const signed = await signImage(ref, new KmsSigner(kms.client(), V1), client);
    expect(signed.bundle.messageSignature.messageDigest.algorithm).toBe("SHA2_384");

    const manifest = await client.getManifest(ref.repository, signatureTag(ref.digest));
    expect(manifest?.digest).toBe(signed.signatureManifest);
    const parsed = JSON.parse(manifest!.bytes.toString());
    expect(parsed.mediaType).toBe(OCI_MANIFEST);
    expect(parsed.layers).toHaveLength(1);
    expect(parsed.layers[0].mediaType).toBe(SIMPLE_SIGNING_MEDIA_TYPE);
    const payload = await client.getBlob(ref.repository, parsed.layers[0].digest);
    expect(JSON.parse(payload.toString())).toEqual({
      critical: {
        identity: { "docker-reference": `${registry.host}/coditect/billing` },
        image: { "docker-manifest-digest": ref.digest },
        type: "cosign container image signature",
      },
      optional: null,
    });
    // What cosign checks with a P-384 key: ECDSA over SHA-384 of the payload bytes.
    const signature = Buffer.from(parsed.layers[0].annotations[SIGNATURE_ANNOTATION], "base64");
    expect(crypto.verify("sha384", payload, pem, signature)).toBe(true);

    expect(await verifyImageInRegistry(ref, pem, client)).toMatchObject({
      ok: true,
      hashAlgorithm: "SHA2_384",
    });
    // The image itself was pushed by digest only: the registry lists no tag but the signature's.
    const tags = (await (await fetch(`http://${registry.host}/v2/coditect/billing/tags/list`)).json()) as {
      tags: string[];
    };
    expect(tags.tags).toEqual([signatureTag(ref.digest)]);
  });

  it("signing twice keeps one layer per distinct signature (cosign appends)", async () => {
    const ref = await pushTinyImage(registry.host, "coditect/operator");
    await signImage(ref, new KmsSigner(kms.client(), V1), client);
    await signImage(ref, new KmsSigner(kms.client(), V1), client);
    const manifest = await client.getManifest(ref.repository, signatureTag(ref.digest));
    expect(JSON.parse(manifest!.bytes.toString()).layers).toHaveLength(2);
    expect((await verifyImageInRegistry(ref, pem, client)).ok).toBe(true);
  });

  it("refuses to sign a digest the registry does not hold", async () => {
    const ref = {
      registry: registry.host,
      repository: "coditect/billing",
      digest: `sha256:${"1".repeat(64)}`,
    };
    await expect(signImage(ref, new KmsSigner(kms.client(), V1), client)).rejects.toThrow(
      /not in the registry/,
    );
  });

  it("missing signature: reason missing-signature", async () => {
    const ref = await pushTinyImage(registry.host, "coditect/unsigned");
    expect(await verifyImageInRegistry(ref, pem, client)).toMatchObject({
      ok: false,
      reason: "missing-signature",
      message: expect.stringContaining(signatureTag(ref.digest)),
    });
  });

  it("signed with another key: reason wrong-key, naming both keys", async () => {
    const ref = await pushTinyImage(registry.host, "coditect/billing");
    await signImage(ref, new KmsSigner(kms.client(), OTHER), client);
    const outcome = await verifyImageInRegistry(ref, pem, client);
    expect(outcome).toMatchObject({ ok: false, reason: "wrong-key" });
    expect(outcome.ok || outcome.message).toMatch(/not by the pinned key/);
  });

  it("a valid signature moved onto another digest: reason digest-mismatch", async () => {
    const signedRef = await pushTinyImage(registry.host, "coditect/billing");
    const signed = await signImage(signedRef, new KmsSigner(kms.client(), V1), client);
    const victim = await pushTinyImage(registry.host, "coditect/billing");
    const manifest = await client.getManifest(signedRef.repository, signatureTag(signedRef.digest));
    await client.putManifest(victim.repository, signatureTag(victim.digest), manifest!.bytes, OCI_MANIFEST);
    const outcome = await verifyImageInRegistry(victim, pem, client);
    expect(outcome).toMatchObject({ ok: false, reason: "digest-mismatch" });
    expect(outcome.ok || outcome.message).toContain(signedRef.digest);
    expect(signed.reference).toContain(signedRef.digest);
  });

  it("an altered signature in the registry: reason tampered", async () => {
    const ref = await pushTinyImage(registry.host, "coditect/billing");
    const signer = new KmsSigner(kms.client(), V1);
    const { hint } = await signer.publicKey();
    const payload = Buffer.from(
      JSON.stringify({
        critical: {
          identity: { "docker-reference": `${registry.host}/coditect/billing` },
          image: { "docker-manifest-digest": ref.digest },
          type: "cosign container image signature",
        },
        optional: null,
      }),
    );
    const { signature } = await signer.sign(payload);
    signature[signature.length - 2]! ^= 0x40;
    await attachSignature(client, ref, payload, signature, hint);
    const outcome = await verifyImageInRegistry(ref, pem, client);
    expect(outcome).toMatchObject({ ok: false, reason: "tampered" });
    expect(KEY_HINT_ANNOTATION).toMatch(/key-hint/);
  });

  it("tampered bundles: altered message digest → tampered; SHA2_256 recorded for a P-384 key → wrong-hash-algorithm", async () => {
    const ref = await pushTinyImage(registry.host, "coditect/billing");
    const signed = await signImage(ref, new KmsSigner(kms.client(), V1), client);
    const payload = Buffer.from(signed.payload, "base64");
    expect(verifyImageSignature(signed.bundle, payload, ref.digest, pem).ok).toBe(true);

    const altered = structuredClone(signed.bundle);
    altered.messageSignature.messageDigest.digest = crypto
      .createHash("sha384")
      .update("other")
      .digest("base64");
    expect(verifyImageSignature(altered, payload, ref.digest, pem)).toMatchObject({
      ok: false,
      reason: "tampered",
    });

    const downgraded = structuredClone(signed.bundle);
    downgraded.messageSignature.messageDigest.algorithm = "SHA2_256";
    expect(verifyImageSignature(downgraded, payload, ref.digest, pem)).toMatchObject({
      ok: false,
      reason: "wrong-hash-algorithm",
    });
    expect(verifyImageSignature({ mediaType: "nope" }, payload, ref.digest, pem)).toMatchObject({
      ok: false,
      reason: "malformed-bundle",
    });
    const otherPayload = Buffer.from(payload.toString().replace(ref.digest.slice(-4), "ffff"));
    expect(verifyImageSignature(signed.bundle, otherPayload, ref.digest, pem)).toMatchObject({
      ok: false,
      reason: "tampered",
    });
  });
});
