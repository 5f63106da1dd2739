/**
 * The npm scripts as CI and ops run them: `images:sign` through the fake KMS into the real registry,
 * `images:verify` with a pinned PEM and with a KMS key version, the exit codes and the reasons named, and
 * the `--stack` gate on a stack file whose pinned digests are signed or not.
 */
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { FakeKms } from "../../test-support/fake-kms/index.js";
import type { LocalRegistry } from "../../test-support/registry/index.js";
import {
  runSigningCli as run,
  type SigningRig,
  startSigningRig,
} from "../../test-support/registry/signing-rig.js";
import { pushTinyImage } from "../../test-support/registry/tiny-image.js";
import { formatReference } from "./reference.js";

const KEY =
  "projects/p/locations/us-central1/keyRings/coditect-container-signing/cryptoKeys/cosign-signing-key";
const V1 = `${KEY}/cryptoKeyVersions/1`;
const OTHER = `${KEY}/cryptoKeyVersions/2`;

let rig: SigningRig;
let registry: LocalRegistry;
let kms: FakeKms;
let dir: string;
let pemFile: string;
let kmsEndpoint: string;
beforeAll(async () => {
  rig = await startSigningRig("images-cli-", [V1, OTHER]);
  ({ registry, kms, dir, pemFile, kmsEndpoint } = rig);
}, 60_000);
afterAll(async () => {
  await rig?.stop();
});

describe("npm run images:sign / images:verify", () => {
  it("signs through KMS, records the bundle, and verifies with the pinned PEM and with --kms", async () => {
    const ref = formatReference(await pushTinyImage(registry.host, "coditect/billing"));
    const signatures = path.join(dir, "signatures.json");
    const signed = await run("sign-cli", [
      ref,
      "--kms",
      `gcpkms://${V1}`,
      "--kms-endpoint",
      kmsEndpoint,
      "--signatures",
      signatures,
    ]);
    expect(signed.stderr).toBe("");
    expect(signed.code).toBe(0);
    expect(JSON.parse(signed.stdout)).toMatchObject({
      signed: ref,
      keyVersion: V1,
      hashAlgorithm: "SHA2_384",
    });
    const file = JSON.parse(readFileSync(signatures, "utf8"));
    expect(file.images[ref].bundle.messageSignature.messageDigest.algorithm).toBe("SHA2_384");

    const byPem = await run("verify-cli", [ref, "--key", pemFile]);
    expect(byPem).toMatchObject({ code: 0, stdout: expect.stringContaining("verified") });
    const byKms = await run("verify-cli", [ref, "--kms", V1, "--kms-endpoint", kmsEndpoint]);
    expect(byKms).toMatchObject({ code: 0, stdout: expect.stringContaining("SHA2_384") });
  }, 60_000);

  it("exits 1 naming the reason: no signature, another key", async () => {
    const unsigned = formatReference(await pushTinyImage(registry.host, "coditect/operator"));
    const missing = await run("verify-cli", [unsigned, "--key", pemFile]);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/missing-signature: .* has no signature/);

    const stranger = formatReference(await pushTinyImage(registry.host, "coditect/operator"));
    expect((await run("sign-cli", [stranger, "--kms", OTHER, "--kms-endpoint", kmsEndpoint])).code).toBe(0);
    const wrong = await run("verify-cli", [stranger, "--key", pemFile]);
    expect(wrong.code).toBe(1);
    expect(wrong.stderr).toMatch(/wrong-key: signed by key .* not by the pinned key/);
  }, 60_000);

  it("exits 2 on bad input and 1 on a KMS refusal, naming it", async () => {
    const noDigest = await run("verify-cli", [`${registry.host}/coditect/billing:latest`, "--key", pemFile]);
    expect(noDigest.code).toBe(2);
    expect(noDigest.stderr).toMatch(/not an image reference pinned by digest/);
    const badKms = await run("sign-cli", [
      `${registry.host}/x@sha256:${"a".repeat(64)}`,
      "--kms",
      "projects/p/keys/k",
    ]);
    expect(badKms.code).toBe(2);
    expect(badKms.stderr).toMatch(/is not a KMS key version/);
    kms.createKeyVersion(`${KEY}/cryptoKeyVersions/7`);
    kms.setState(`${KEY}/cryptoKeyVersions/7`, "DISABLED");
    const ref = formatReference(await pushTinyImage(registry.host, "coditect/billing"));
    const disabled = await run("sign-cli", [
      ref,
      "--kms",
      `${KEY}/cryptoKeyVersions/7`,
      "--kms-endpoint",
      kmsEndpoint,
    ]);
    expect(disabled.code).toBe(1);
    expect(disabled.stderr).toMatch(/cryptoKeyVersions\/7 is not enabled/);
  }, 60_000);

  it("--stack: passes when every pinned digest is signed, fails the build on an unsigned one", async () => {
    const billing = formatReference(await pushTinyImage(registry.host, "coditect/billing"));
    const operator = formatReference(await pushTinyImage(registry.host, "coditect/operator"));
    const root = path.join(dir, "repo");
    mkdirSync(path.join(root, "images", "keys"), { recursive: true });
    writeFileSync(path.join(root, "images", "keys", "ci.pem"), readFileSync(pemFile));
    writeFileSync(
      path.join(root, "Pulumi.ci.yaml"),
      `config:\n  coditect-control-plane:controlPlane:\n    billingImage: ${billing}\n    operatorImage: ${operator}\n`,
    );
    const signatures = path.join(root, "images", "signatures", "ci.json");
    expect(
      (
        await run("sign-cli", [
          billing,
          "--kms",
          V1,
          "--kms-endpoint",
          kmsEndpoint,
          "--signatures",
          signatures,
        ])
      ).code,
    ).toBe(0);

    const partly = await run("verify-cli", ["--stack", "ci", "--root", root]);
    expect(partly.code).toBe(1);
    expect(partly.stdout).toContain(`verified controlPlane.billingImage ${billing}`);
    expect(partly.stdout).toMatch(/FAILED controlPlane.operatorImage .*: missing-signature/);

    expect(
      (
        await run("sign-cli", [
          operator,
          "--kms",
          V1,
          "--kms-endpoint",
          kmsEndpoint,
          "--signatures",
          signatures,
        ])
      ).code,
    ).toBe(0);
    const all = await run("verify-cli", ["--stack", "ci", "--root", root]);
    expect(all.stderr).toBe("");
    expect(all.code).toBe(0);
  }, 90_000);

  it("--stack prod passes on the committed data: Pulumi.prod.yaml pins no digest until a release", async () => {
    const prod = await run("verify-cli", ["--stack", "prod"]);
    expect(prod).toMatchObject({ code: 0, stdout: expect.stringContaining("pins no image digest yet") });
  }, 30_000);
});
