import crypto from "node:crypto";
import { describe, expect, it } from "vitest";
import { KmsSigner } from "../../images/signing/kms-signer.js";
import { startFakeKms } from "./index.js";

const VERSION = "projects/x/locations/us-central1/keyRings/r/cryptoKeys/k/cryptoKeyVersions/1";

describe("fake KMS with a given private key (the sandbox keeps its key across restarts)", () => {
  it("serves that key: two fakes given the same key sign verifiably for the same public key", async () => {
    process.env.METADATA_SERVER_DETECTION = "none";
    const { privateKey, publicKey } = crypto.generateKeyPairSync("ec", { namedCurve: "P-384" });
    const expectedPem = publicKey.export({ type: "spki", format: "pem" }).toString();
    for (let run = 0; run < 2; run++) {
      const kms = await startFakeKms();
      try {
        expect(kms.createKeyVersion(VERSION, "EC_SIGN_P384_SHA384", privateKey)).toBe(expectedPem);
        const signer = new KmsSigner(kms.client(), VERSION);
        expect((await signer.publicKey()).pem).toBe(expectedPem);
        const { signature } = await signer.sign(Buffer.from(`run ${run}`));
        expect(crypto.verify("sha384", Buffer.from(`run ${run}`), expectedPem, signature)).toBe(true);
      } finally {
        await kms.stop();
      }
    }
  }, 60_000);

  it("refuses a key of the wrong curve for the algorithm", async () => {
    const kms = await startFakeKms();
    try {
      const p256 = crypto.generateKeyPairSync("ec", { namedCurve: "P-256" }).privateKey;
      expect(() => kms.createKeyVersion(VERSION, "EC_SIGN_P384_SHA384", p256)).toThrow(
        /is not a P-384 private key/,
      );
    } finally {
      await kms.stop();
    }
  });
});
