import crypto from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type FakeKms, startFakeKms } from "../../test-support/fake-kms/index.js";
import { toBundle, verifyImageSignature } from "./bundle.js";
import { crc32c } from "./crc32c.js";
import { KmsSigner } from "./kms-signer.js";
import { simpleSigningPayload } from "./payload.js";

process.env.METADATA_SERVER_DETECTION = "none";
const KEY =
  "projects/p/locations/us-central1/keyRings/coditect-container-signing/cryptoKeys/cosign-signing-key";
const V1 = `${KEY}/cryptoKeyVersions/1`;
const DIGEST = `sha256:${"ab".repeat(32)}`;

let kms: FakeKms;
let pem: string;
beforeAll(async () => {
  kms = await startFakeKms();
  pem = kms.createKeyVersion(V1);
});
afterAll(() => kms.stop());

describe("CRC32C", () => {
  it("matches the Castagnoli check value and RFC 3720's vectors", () => {
    expect(crc32c("123456789")).toBe(0xe3069283);
    expect(crc32c(new Uint8Array(32))).toBe(0x8a9136aa);
    expect(crc32c(new Uint8Array(32).fill(0xff))).toBe(0x62a8ab43);
  });
});

describe("KmsSigner against the fake Cloud KMS (real KeyManagementServiceClient)", () => {
  it("signs a SHA-384 digest with the P-384 HSM key; node:crypto verifies it as ECDSA-SHA384", async () => {
    const signer = new KmsSigner(kms.client(), V1);
    const data = Buffer.from("payload bytes");
    const { signature, key } = await signer.sign(data);
    expect(key).toMatchObject({ $case: "publicKey", publicKey: pem });
    expect(crypto.verify("sha384", data, pem, signature)).toBe(true);
    expect(crypto.verify("sha256", data, pem, signature)).toBe(false);
    expect((await signer.publicKey()).algorithm).toBe("EC_SIGN_P384_SHA384");
  });

  it("a bundle made from a KMS signature records SHA2_384 and verifies offline with @sigstore/verify", async () => {
    const signer = new KmsSigner(kms.client(), V1);
    const payload = simpleSigningPayload("127.0.0.1:5000/coditect/billing", DIGEST);
    const { signature } = await signer.sign(payload);
    const bundle = toBundle(payload, signature, pem);
    expect(bundle.messageSignature.messageDigest.algorithm).toBe("SHA2_384");
    expect(verifyImageSignature(bundle, payload, DIGEST, pem)).toEqual({
      ok: true,
      digest: DIGEST,
      hashAlgorithm: "SHA2_384",
    });
  });

  it("refuses a signature whose CRC32C does not match the bytes received", async () => {
    kms.faults.corruptNextSignature();
    await expect(new KmsSigner(kms.client(), V1).sign(Buffer.from("x"))).rejects.toThrow(
      /signature_crc32c mismatch/,
    );
  });

  it("names an unknown key version (NOT_FOUND)", async () => {
    await expect(
      new KmsSigner(kms.client(), `${KEY}/cryptoKeyVersions/9`).sign(Buffer.from("x")),
    ).rejects.toThrow(/cryptoKeyVersions\/9 does not exist/);
  });

  it("names a version the caller may not use (PERMISSION_DENIED) and one that is disabled (FAILED_PRECONDITION)", async () => {
    const denied = `${KEY}/cryptoKeyVersions/2`;
    kms.createKeyVersion(denied);
    kms.denyPermission(denied);
    await expect(new KmsSigner(kms.client(), denied).sign(Buffer.from("x"))).rejects.toThrow(
      /permission denied .*roles\/cloudkms.signerVerifier/,
    );
    const disabled = `${KEY}/cryptoKeyVersions/3`;
    kms.createKeyVersion(disabled);
    const signer = new KmsSigner(kms.client(), disabled);
    await signer.publicKey();
    kms.setState(disabled, "DISABLED");
    await expect(signer.sign(Buffer.from("x"))).rejects.toMatchObject({
      grpcCode: 9,
      message: /not enabled/,
    });
  });

  it("the fake refuses a digest whose digest_crc32c does not match, like Cloud KMS", async () => {
    const digest = crypto.createHash("sha384").update("x").digest();
    await expect(
      kms.client().asymmetricSign({
        name: V1,
        digest: { sha384: digest },
        digestCrc32c: { value: crc32c(digest) + 1 },
      }),
    ).rejects.toMatchObject({ code: 3, details: /digest_crc32c did not match/ });
    await expect(
      kms
        .client()
        .asymmetricSign({ name: V1, digest: { sha256: crypto.createHash("sha256").update("x").digest() } }),
    ).rejects.toMatchObject({ code: 3, details: /SHA384 digest of 48 bytes/ });
  });
});
