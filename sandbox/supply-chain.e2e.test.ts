/**
 * The sandbox's supply-chain part through `npm start`, as a user meets it: Debian's docker-registry and
 * the fake Cloud KMS run as children; a tiny image pushed by digest is signed with `npm run images:sign`
 * through the sandbox KMS and verified with `npm run images:verify` against the public key the sandbox
 * wrote; the licensed Docker image, when built (CI builds the images before the tests), is pushed and
 * signed at start and the exact commands the banner prints verify it. The KMS key survives a restart.
 * Without docker-registry the banner must say the supply chain is off.
 */
import crypto from "node:crypto";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { KeyManagementServiceClient } from "@google-cloud/kms";
import * as grpc from "@grpc/grpc-js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { podmanEnv } from "../images/build/podman.js";
import { pushTinyImage } from "../test-support/registry/tiny-image.js";
import { pollUntil } from "./health.js";
import { dataPaths, SANDBOX_LICENSED_IMAGE, SANDBOX_SIGNING_KEY_VERSION } from "./plan.js";
import { supplyChainAvailable, whyNotBuilt } from "./publish.js";
import { runCommand } from "./testing/commands.js";
import { type LaunchedSandbox, launchSandbox } from "./testing/launch.js";

const NO_METADATA = { METADATA_SERVER_DETECTION: "none" };
const npm = (...args: string[]) => runCommand("npm", ["run", "-s", ...args], NO_METADATA, 180_000);
/** The banner does not wait for a slow first push: the licensed image's outcome may follow it. */
const OUTCOME = /Licensed image (pushed|: not published|: publishing failed)/;
async function launch(dataDir: string, home: string): Promise<LaunchedSandbox> {
  const launched = await launchSandbox({ dataDir, env: { HOME: home } });
  if (supplyChainAvailable()) {
    await pollUntil("the licensed image's outcome", async () => OUTCOME.test(launched.output()), {
      timeoutMs: 240_000,
      abort: () => (/sandbox: .* exited/.test(launched.output()) ? launched.output() : undefined),
    });
  }
  return launched;
}

describe("npm start's registry, fake Cloud KMS and signed licensed image", () => {
  const work = mkdtempSync(join(tmpdir(), "coditect-sandbox-supply-"));
  const dataDir = join(work, "data");
  const paths = dataPaths(dataDir);
  let sandbox: LaunchedSandbox | undefined;
  let imageBuilt = false;

  beforeAll(async () => {
    // The KMS client in this process must not probe for a GCE metadata server (this is not Google Cloud).
    process.env.METADATA_SERVER_DETECTION = "none";
    imageBuilt = (await whyNotBuilt(podmanEnv(join(work, "podman")))) === undefined;
    sandbox = await launch(dataDir, work);
  }, 600_000);

  afterAll(async () => {
    if (sandbox) expect(await sandbox.stop(), sandbox.output()).toBe(0);
    rmSync(work, { recursive: true, force: true });
  }, 90_000);

  it("runs the registry and the KMS when docker-registry is installed, and says so when it is not", async () => {
    const running = sandbox!;
    if (!supplyChainAvailable()) {
      expect(running.output()).toContain("Supply chain off: /usr/bin/docker-registry is not installed");
      expect(running.urls.registry).toBeUndefined();
      return;
    }
    expect(running.urls.registry).toMatch(/^127\.0\.0\.1:\d+$/);
    expect((await fetch(`http://${running.urls.registry}/v2/`)).status).toBe(200);
    expect(running.output()).toContain(
      `OCI registry (docker-registry)                 http://${running.urls.registry}`,
    );

    // The real KMS client gets the same P-384 public key the sandbox wrote for images:verify.
    const [host, port] = running.urls.kms!.split(":");
    const client = new KeyManagementServiceClient({
      apiEndpoint: host,
      port: Number(port),
      sslCreds: grpc.credentials.createInsecure(),
    });
    try {
      const [publicKey] = await client.getPublicKey({ name: SANDBOX_SIGNING_KEY_VERSION });
      expect(publicKey.algorithm).toBe("EC_SIGN_P384_SHA384");
      expect(publicKey.pem).toBe(readFileSync(paths.signingKey, "utf8"));
    } finally {
      await client.close();
    }
    expect(readFileSync(paths.registryConfig, "utf8")).toContain(`addr: ${running.urls.registry}`);
  }, 60_000);

  it("an image pushed by digest signs through the sandbox KMS and verifies with the sandbox key, not another", async () => {
    if (!supplyChainAvailable()) return;
    const running = sandbox!;
    const tiny = await pushTinyImage(running.urls.registry!, "journey/tiny");
    const reference = `${tiny.registry}/${tiny.repository}@${tiny.digest}`;
    const signed = await npm(
      "images:sign",
      "--",
      reference,
      "--kms",
      SANDBOX_SIGNING_KEY_VERSION,
      "--kms-endpoint",
      running.urls.kms!,
    );
    expect(signed.code, signed.stderr).toBe(0);
    expect(JSON.parse(signed.stdout)).toMatchObject({ signed: reference, hashAlgorithm: "SHA2_384" });
    const verified = await npm("images:verify", "--", reference, "--key", paths.signingKey);
    expect(verified.code, verified.stderr).toBe(0);
    expect(verified.stdout).toContain(`verified ${reference} (SHA2_384, pinned key)`);

    const otherKey = join(work, "other.pem");
    const { publicKey } = crypto.generateKeyPairSync("ec", { namedCurve: "P-384" });
    writeFileSync(otherKey, publicKey.export({ type: "spki", format: "pem" }));
    const wrong = await npm("images:verify", "--", reference, "--key", otherKey);
    expect(wrong.code).toBe(1);
    expect(wrong.stderr).toContain(`FAILED ${reference}`);
  }, 240_000);

  it("the licensed image, when built, is published at start and the banner's verify commands pass; otherwise the banner says how to build it", async () => {
    if (!supplyChainAvailable()) return;
    const output = sandbox!.output();
    expect(output).not.toContain("publishing failed");
    if (!imageBuilt) {
      expect(output).toContain(`not published (${SANDBOX_LICENSED_IMAGE.local} is not built)`);
      expect(output).toContain(`  ${SANDBOX_LICENSED_IMAGE.buildCommand}\n  npm run sandbox:publish\n`);
      const publish = await npm("sandbox:publish", "--", "--data-dir", dataDir);
      expect(publish.code).toBe(1);
      expect(publish.stderr).toContain(`build it first with ${SANDBOX_LICENSED_IMAGE.buildCommand}`);
      return;
    }
    expect(output).toMatch(/Licensed image pushed and signed through the fake KMS in [\d.]+ s/);
    const verify = /^ {2}npm run (images:verify -- (\S+) --key (\S+))$/m.exec(output);
    expect(verify, output).not.toBeNull();
    const [, , reference, key] = verify!;
    expect(reference).toMatch(
      new RegExp(`^${sandbox!.urls.registry}/${SANDBOX_LICENSED_IMAGE.repository}@sha256:[0-9a-f]{64}$`),
    );
    expect(key).toBe(paths.signingKey);
    const verified = await npm("images:verify", "--", reference!, "--key", key!);
    expect(verified.code, verified.stderr).toBe(0);
    expect(verified.stdout).toContain(`verified ${reference} (SHA2_384, pinned key)`);

    const skopeo = /^ {2}skopeo (inspect --tls-verify=false (\S+))$/m.exec(output);
    expect(skopeo, output).not.toBeNull();
    const inspected = await runCommand("skopeo", skopeo![1]!.split(" "));
    expect(inspected.code, inspected.stderr).toBe(0);
    expect(JSON.parse(inspected.stdout).Digest).toBe(reference!.split("@")[1]);
  }, 240_000);

  it("after a restart the KMS signs with the same key, and the published image is not signed again", async () => {
    if (!supplyChainAvailable()) return;
    const keyBefore = readFileSync(paths.signingKey, "utf8");
    const registryBefore = sandbox!.urls.registry!;
    expect(await sandbox!.stop()).toBe(0);
    sandbox = undefined;
    // The registry stopped with the sandbox.
    await expect(fetch(`http://${registryBefore}/v2/`)).rejects.toThrow();
    sandbox = await launch(dataDir, work);
    expect(readFileSync(paths.signingKey, "utf8")).toBe(keyBefore);
    if (imageBuilt) {
      expect(sandbox.output()).toMatch(/Licensed image pushed \(already signed at an earlier start\)/);
      const reference = /images:verify -- (\S+) --key/.exec(sandbox.output())![1]!;
      const verified = await npm("images:verify", "--", reference, "--key", paths.signingKey);
      expect(verified.code, verified.stderr).toBe(0);
    }
  }, 600_000);
});
