/**
 * Issue 14 "Done when": a BUILT licensed image goes sign → push → verify. The Docker image that
 * `images:build --stack test` builds is copied from podman's storage into the real registry (Debian's
 * docker-registry, test-support/registry) by digest with skopeo, signed with `npm run images:sign` through
 * the fake Cloud KMS (P-384, SHA-384), verified with `npm run images:verify`; then tampered with — another
 * image pushed under the same tag, the signature moved onto it, the stored signature altered — and each
 * verification fails naming the reason.
 *
 * Builds the image first when it is missing (seconds when .ci/run has built it). Needs root, podman,
 * skopeo and docker-registry; without them it fails in beforeAll saying which — it is never skipped.
 */
import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type LocalRegistry, registryAvailable } from "../../test-support/registry/index.js";
import {
  runSigningCli as npmScript,
  type SigningRig,
  startSigningRig,
} from "../../test-support/registry/signing-rig.js";
import { pushTinyImage } from "../../test-support/registry/tiny-image.js";
import { SIGNATURE_ANNOTATION } from "../signing/cosign-storage.js";
import { formatReference, signatureTag } from "../signing/reference.js";
import { OCI_MANIFEST, RegistryClient } from "../signing/registry-client.js";
import { buildImages } from "./build.js";
import { PRODUCT_IMAGES } from "./plan.js";
import { missingBuildTools, podmanEnv } from "./podman.js";

const V1 =
  "projects/p/locations/us-central1/keyRings/coditect-container-signing/cryptoKeys/cosign-signing-key/cryptoKeyVersions/1";
const REPOSITORY = "coditect/docker";
const TAG = "0.2.0-test";

let rig: SigningRig;
let registry: LocalRegistry;
let client: RegistryClient;
let dir: string;
let pemFile: string;
let kmsEndpoint: string;
/** The built image in the registry, by digest. */
let built: string;
let builtDigest: string;

/** `skopeo copy` of a local image into the registry under a tag; returns the digest the registry holds. */
function push(localImage: string, tag: string): string {
  const digestFile = path.join(dir, "digest");
  const copied = spawnSync(
    "skopeo",
    [
      "copy",
      "--dest-tls-verify=false",
      "--digestfile",
      digestFile,
      `containers-storage:${localImage}`,
      `docker://${registry.host}/${REPOSITORY}:${tag}`,
    ],
    { env: podmanEnv(), encoding: "utf8" },
  );
  if (copied.status !== 0) throw new Error(`skopeo copy ${localImage} failed: ${copied.stderr}`);
  return readFileSync(digestFile, "utf8").trim();
}

beforeAll(async () => {
  const missing =
    missingBuildTools() ??
    (spawnSync("skopeo", ["--version"], { stdio: "ignore" }).status !== 0 ? "skopeo not found" : undefined) ??
    (registryAvailable() ? undefined : "docker-registry not found");
  if (missing) throw new Error(`the signed-image round trip cannot run on this machine: ${missing}`);
  buildImages(["docker"], { stack: "test" });
  rig = await startSigningRig("signed-image-", [V1]);
  ({ registry, dir, pemFile, kmsEndpoint } = rig);
  client = new RegistryClient(registry.host, undefined);
  builtDigest = push(PRODUCT_IMAGES.find((i) => i.name === "docker")!.tag, TAG);
  built = `${registry.host}/${REPOSITORY}@${builtDigest}`;
}, 30 * 60_000);

afterAll(async () => {
  await rig?.stop();
});

describe("the built licensed Docker image: sign → push → verify", () => {
  it("is signed through KMS by images:sign and verified by images:verify (P-384, SHA-384)", async () => {
    const signed = await npmScript("sign-cli", [
      built,
      "--kms",
      `gcpkms://${V1}`,
      "--kms-endpoint",
      kmsEndpoint,
    ]);
    expect(signed.stderr).toBe("");
    expect(signed.code).toBe(0);
    expect(JSON.parse(signed.stdout)).toMatchObject({ signed: built, hashAlgorithm: "SHA2_384" });
    // Where cosign looks: the sha256-<hex>.sig tag next to the image.
    expect(await client.getManifest(REPOSITORY, signatureTag(builtDigest))).toBeDefined();
    const verified = await npmScript("verify-cli", [built, "--key", pemFile]);
    expect(verified).toMatchObject({ code: 0, stdout: expect.stringContaining("verified") });
  });

  it("another image pushed under the same tag is not signed: images:verify fails with missing-signature", async () => {
    const other = await pushTinyImage(registry.host, REPOSITORY);
    // Move the release tag onto the other image, as someone with push rights but not the key could.
    const manifest = await client.getManifest(REPOSITORY, other.digest);
    await client.putManifest(REPOSITORY, TAG, manifest!.bytes, manifest!.mediaType);
    const tagged = await client.getManifest(REPOSITORY, TAG);
    expect(tagged?.digest).toBe(other.digest);
    const result = await npmScript("verify-cli", [formatReference(other), "--key", pemFile]);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/missing-signature/);
    // The built image's own digest still verifies: the signature follows the digest, not the tag.
    expect((await npmScript("verify-cli", [built, "--key", pemFile])).code).toBe(0);
  });

  it("the built image's signature copied onto another digest: digest-mismatch", async () => {
    const other = await pushTinyImage(registry.host, REPOSITORY);
    const signature = await client.getManifest(REPOSITORY, signatureTag(builtDigest));
    await client.putManifest(REPOSITORY, signatureTag(other.digest), signature!.bytes, OCI_MANIFEST);
    const result = await npmScript("verify-cli", [formatReference(other), "--key", pemFile]);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/digest-mismatch/);
    expect(result.stderr).toContain(builtDigest);
  });

  it("an altered signature on the built image: tampered", async () => {
    const stored = await client.getManifest(REPOSITORY, signatureTag(builtDigest));
    const manifest = JSON.parse(stored!.bytes.toString());
    for (const layer of manifest.layers) {
      const bytes = Buffer.from(layer.annotations[SIGNATURE_ANNOTATION], "base64");
      bytes[bytes.length - 2]! ^= 0x40;
      layer.annotations[SIGNATURE_ANNOTATION] = bytes.toString("base64");
    }
    await client.putManifest(
      REPOSITORY,
      signatureTag(builtDigest),
      Buffer.from(JSON.stringify(manifest)),
      OCI_MANIFEST,
    );
    const result = await npmScript("verify-cli", [built, "--key", pemFile]);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/tampered/);
  });
});
