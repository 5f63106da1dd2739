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
import { mintPublisherToken, SANDBOX_REGISTRY_TOKEN } from "./registry-token.js";
import { runCommand } from "./testing/commands.js";
import { type LaunchedSandbox, launchSandbox } from "./testing/launch.js";

const NO_METADATA = { METADATA_SERVER_DETECTION: "none" };
const npm = (...args: string[]) => runCommand("npm", ["run", "-s", ...args], NO_METADATA, 180_000);
const runNpm = (env: Record<string, string>, ...args: string[]) =>
  runCommand("npm", ["run", "-s", ...args], env, 180_000);

/** Runs `action` with RegistryClient's out-of-band bearer token set (it reads it when constructed). */
async function withBearer<T>(token: string, action: () => Promise<T>): Promise<T> {
  process.env.REGISTRY_BEARER_TOKEN = token;
  try {
    return await action();
  } finally {
    delete process.env.REGISTRY_BEARER_TOKEN;
  }
}

/** A license created through the admin API with the sandbox's break-glass token; returns its key. */
async function createLicense(
  sandbox: LaunchedSandbox,
  tier: "starter" | "pro",
): Promise<{ id: string; key: string }> {
  const response = await fetch(`${sandbox.urls.billing}/v1/admin/licenses`, {
    method: "POST",
    headers: { authorization: `Bearer ${sandbox.adminToken}`, "content-type": "application/json" },
    body: JSON.stringify({
      organization: `${tier}-pull-${crypto.randomUUID().slice(0, 8)}`,
      customerEmail: `dev@${tier}.test`,
      tier,
      provisioningType: "pilot",
      durationDays: 30,
      seats: 5,
    }),
  });
  expect(response.status, await response.clone().text()).toBe(201);
  const body = (await response.json()) as { license: { id: string }; licenseKey: string };
  return { id: body.license.id, key: body.licenseKey };
}

const skopeoInspect = (reference: string, creds?: string) =>
  runCommand("skopeo", [
    "inspect",
    "--tls-verify=false",
    // Pushed by digest, untagged: listing tags would 404.
    "--no-tags",
    ...(creds ? ["--creds", creds] : []),
    `docker://${reference}`,
  ]);

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
    // Token auth with billing as the realm (issue 15): anonymous requests get the Bearer challenge.
    const anonymous = await fetch(`http://${running.urls.registry}/v2/`);
    expect(anonymous.status).toBe(401);
    expect(anonymous.headers.get("www-authenticate")).toBe(
      `Bearer realm="${running.urls.billing}/v1/registry/token",service="${SANDBOX_REGISTRY_TOKEN.service}"`,
    );
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
    // The registry only takes pushes with a token: the sandbox publisher's (what sandbox/publish.ts uses).
    const token = await mintPublisherToken(dataDir, running.urls.registry!, ["journey/tiny"]);
    const tiny = await withBearer(token, () => pushTinyImage(running.urls.registry!, "journey/tiny"));
    const reference = `${tiny.registry}/${tiny.repository}@${tiny.digest}`;
    const asPublisher = { ...NO_METADATA, REGISTRY_BEARER_TOKEN: token };
    const signed = await runNpm(
      asPublisher,
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
    const verified = await runNpm(asPublisher, "images:verify", "--", reference, "--key", paths.signingKey);
    expect(verified.code, verified.stderr).toBe(0);
    expect(verified.stdout).toContain(`verified ${reference} (SHA2_384, pinned key)`);

    const otherKey = join(work, "other.pem");
    const { publicKey } = crypto.generateKeyPairSync("ec", { namedCurve: "P-384" });
    writeFileSync(otherKey, publicKey.export({ type: "spki", format: "pem" }));
    const wrong = await runNpm(asPublisher, "images:verify", "--", reference, "--key", otherKey);
    expect(wrong.code).toBe(1);
    expect(wrong.stderr).toContain(`FAILED ${reference}`);
  }, 240_000);

  it("a Pro license created through the admin API pulls with its key; anonymous, Starter, a push and a revoked key are refused", async () => {
    if (!supplyChainAvailable()) return;
    const running = sandbox!;
    const registry = running.urls.registry!;
    // Under the Pro tier's namespace, so this holds whether or not the licensed image was built.
    const repository = "coditect-images/pull-check";
    const token = await mintPublisherToken(dataDir, registry, [repository]);
    const image = await withBearer(token, () => pushTinyImage(registry, repository));
    const reference = `${registry}/${repository}@${image.digest}`;

    const pro = await createLicense(running, "pro");
    const pulled = await skopeoInspect(reference, `license:${pro.key}`);
    expect(pulled.code, pulled.stderr).toBe(0);
    expect(JSON.parse(pulled.stdout).Digest).toBe(image.digest);
    const dest = join(work, "pulled");
    const copied = await runCommand("skopeo", [
      "copy",
      "--src-tls-verify=false",
      "--src-creds",
      `license:${pro.key}`,
      `docker://${reference}`,
      `oci:${dest}:pulled`,
    ]);
    expect(copied.code, copied.stderr).toBe(0);

    const anonymous = await skopeoInspect(reference);
    expect(anonymous.code).not.toBe(0);
    expect(anonymous.stderr).toContain("authentication required");
    const starter = await createLicense(running, "starter");
    const refused = await skopeoInspect(reference, `license:${starter.key}`);
    expect(refused.code).not.toBe(0);
    expect(refused.stderr).toContain("403");
    // Billing grants licenses pull only: a Pro key cannot push into the tier's repository.
    const push = await runCommand("skopeo", [
      "copy",
      "--src-tls-verify=false",
      "--dest-tls-verify=false",
      "--dest-creds",
      `license:${pro.key}`,
      `oci:${dest}:pulled`,
      `docker://${registry}/${repository}:pushed-by-license`,
    ]);
    expect(push.code).not.toBe(0);
    const revoke = await fetch(`${running.urls.billing}/v1/admin/licenses/${pro.id}/revoke`, {
      method: "POST",
      headers: { authorization: `Bearer ${running.adminToken}`, "content-type": "application/json" },
      body: JSON.stringify({ reason: "chargeback" }),
    });
    expect(revoke.status).toBe(200);
    const revoked = await skopeoInspect(reference, `license:${pro.key}`);
    expect(revoked.code).not.toBe(0);
    expect(revoked.stderr).toContain("403");
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
    const verify =
      /^ {2}REGISTRY_USERNAME=license REGISTRY_PASSWORD=\$KEY npm run (images:verify -- (\S+) --key (\S+))$/m.exec(
        output,
      );
    expect(verify, output).not.toBeNull();
    const [, , reference, key] = verify!;
    expect(reference).toMatch(
      new RegExp(`^${sandbox!.urls.registry}/${SANDBOX_LICENSED_IMAGE.repository}@sha256:[0-9a-f]{64}$`),
    );
    expect(key).toBe(paths.signingKey);
    // The banner's commands with a Pro key for $KEY: the licensed image is in the Pro tier's namespace.
    const pro = await createLicense(sandbox!, "pro");
    const asPro = { ...NO_METADATA, REGISTRY_USERNAME: "license", REGISTRY_PASSWORD: pro.key };
    const verified = await runNpm(asPro, "images:verify", "--", reference!, "--key", key!);
    expect(verified.code, verified.stderr).toBe(0);
    expect(verified.stdout).toContain(`verified ${reference} (SHA2_384, pinned key)`);

    const skopeo = /^ {2}skopeo (inspect --tls-verify=false --creds license:\$KEY (\S+))$/m.exec(output);
    expect(skopeo, output).not.toBeNull();
    const inspected = await runCommand(
      "skopeo",
      skopeo![1]!.split(" ").map((arg) => arg.replace("$KEY", pro.key)),
    );
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
      const pro = await createLicense(sandbox, "pro");
      const asPro = { ...NO_METADATA, REGISTRY_USERNAME: "license", REGISTRY_PASSWORD: pro.key };
      const verified = await runNpm(asPro, "images:verify", "--", reference, "--key", paths.signingKey);
      expect(verified.code, verified.stderr).toBe(0);
    }
  }, 600_000);
});
