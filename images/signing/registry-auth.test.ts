/**
 * The registry client's Docker token flow (what Artifact Registry speaks) against the real docker-registry
 * configured with `auth: token`: push, sign and verify with credentials; refused without them.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type FakeKms, startFakeKms } from "../../test-support/fake-kms/index.js";
import { type LocalRegistry, startRegistry } from "../../test-support/registry/index.js";
import { pushTinyImage } from "../../test-support/registry/tiny-image.js";
import { startTokenServer, type TokenServer } from "../../test-support/registry/token-server.js";
import { KmsSigner } from "./kms-signer.js";
import { RegistryClient } from "./registry-client.js";
import { signImage } from "./sign-image.js";
import { verifyImageInRegistry } from "./verify-image.js";

process.env.METADATA_SERVER_DETECTION = "none";
const CREDENTIALS = { username: "oauth2accesstoken", password: "ya29.test-access-token" };
const V1 = "projects/p/locations/us-central1/keyRings/r/cryptoKeys/k/cryptoKeyVersions/1";

let tokens: TokenServer;
let registry: LocalRegistry;
let kms: FakeKms;
let pem: string;
beforeAll(async () => {
  tokens = await startTokenServer(CREDENTIALS);
  [registry, kms] = await Promise.all([startRegistry({ tokenAuth: tokens.auth }), startFakeKms()]);
  pem = kms.createKeyVersion(V1);
}, 60_000);
afterAll(async () => {
  await Promise.all([registry?.stop(), kms?.stop(), tokens?.stop()]);
});

describe("registry token authentication", () => {
  it("pushes, signs and verifies with credentials, asking for the scope each request needs", async () => {
    const ref = await pushTinyImage(registry.host, "coditect/billing", "authenticated", CREDENTIALS);
    const client = new RegistryClient(registry.host, CREDENTIALS);
    await signImage(ref, new KmsSigner(kms.client(), V1), client);
    expect(
      await verifyImageInRegistry(ref, pem, new RegistryClient(registry.host, CREDENTIALS)),
    ).toMatchObject({
      ok: true,
    });
    expect(tokens.granted.flat()).toContain("repository:coditect/billing:pull,push");
    expect(tokens.granted.flat()).toContain("repository:coditect/billing:pull");
  }, 60_000);

  it("without credentials the request fails naming the variables to set", async () => {
    const ref = await pushTinyImage(registry.host, "coditect/operator", "x", CREDENTIALS);
    await expect(
      verifyImageInRegistry(ref, pem, new RegistryClient(registry.host, undefined)),
    ).rejects.toThrow(/token request failed \(401\); set REGISTRY_USERNAME and REGISTRY_PASSWORD/);
  }, 60_000);
});
