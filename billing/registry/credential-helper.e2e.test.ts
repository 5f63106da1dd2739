/**
 * docker-credential-coditect (tools/) speaks the Docker credential-helper protocol against billing: `get`
 * returns a credential that really pulls from the registry (skopeo), refuses once the license is revoked,
 * answers "not found" for another registry; store/erase/list answer without storing anything.
 */
import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { registryAvailable } from "../../test-support/registry/index.js";
import { PRO_REPO, type RegistrySetup, skopeoInspect, startRegistrySetup } from "./test-setup.js";

const HELPER = fileURLToPath(
  new URL("../../tools/docker-credential-coditect/docker-credential-coditect", import.meta.url),
);

function helper(
  command: string,
  input: string,
  env: Record<string, string>,
): Promise<{ code: number | null; stdout: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [HELPER, command], {
      env: { PATH: process.env.PATH ?? "", HOME: "/nonexistent", ...env },
      stdio: ["pipe", "pipe", "inherit"],
    });
    let stdout = "";
    child.stdout.on("data", (chunk) => (stdout += chunk));
    child.on("error", reject);
    child.on("exit", (code) => resolve({ code, stdout }));
    child.stdin.end(input);
  });
}

describe.runIf(registryAvailable())("docker-credential-coditect", () => {
  let s: RegistrySetup;
  beforeAll(async () => {
    s = await startRegistrySetup();
  }, 120_000);
  afterAll(() => s?.stop());

  it("get returns a working credential for the license server's registry", async () => {
    const pro = await s.license("pro");
    const env = { CODITECT_LICENSE_KEY: pro.key, CODITECT_LICENSE_SERVER: s.h.url };
    const answer = await helper("get", `http://${s.registry.host}/v2/`, env);
    expect(answer.code).toBe(0);
    const credential = JSON.parse(answer.stdout) as { ServerURL: string; Username: string; Secret: string };
    expect(credential.ServerURL).toBe(`http://${s.registry.host}/v2/`);
    // The credential pulls the tier's image.
    const { stdout } = await new Promise<{ stdout: string }>((resolve, reject) => {
      const child = spawn("skopeo", [
        "inspect",
        "--no-tags",
        "--tls-verify=false",
        "--creds",
        `${credential.Username}:${credential.Secret}`,
        `docker://${s.registry.host}/${PRO_REPO}@${s.proDigest}`,
      ]);
      let out = "";
      child.stdout.on("data", (c) => (out += c));
      child.on("exit", (code) =>
        code === 0 ? resolve({ stdout: out }) : reject(new Error(`skopeo ${code}`)),
      );
    });
    expect(JSON.parse(stdout)).toMatchObject({ Digest: s.proDigest });

    // Another registry: not ours (exit 1, the protocol's "not found").
    const other = await helper("get", "https://ghcr.io", env);
    expect(other).toEqual({ code: 1, stdout: "credentials not found in native keychain\n" });
  }, 60_000);

  it("refuses after revocation, naming the license state", async () => {
    const pro = await s.license("pro");
    expect((await s.h.admin("POST", `/licenses/${pro.id}/revoke`, { reason: "chargeback" })).status).toBe(
      200,
    );
    const answer = await helper("get", s.registry.host, {
      CODITECT_LICENSE_KEY: pro.key,
      CODITECT_LICENSE_SERVER: s.h.url,
    });
    expect(answer.code).toBe(1);
    expect(answer.stdout).toMatch(/403 license_revoked/);
    await expect(skopeoInspect(s.registry.host, PRO_REPO, s.proDigest, pro.key)).rejects.toThrow(/403/);
  }, 60_000);

  it("store, erase and list answer sensibly; a missing key is named", async () => {
    expect(await helper("store", '{"ServerURL":"x","Username":"u","Secret":"s"}', {})).toEqual({
      code: 0,
      stdout: "",
    });
    expect(await helper("erase", "x", {})).toEqual({ code: 0, stdout: "" });
    expect(await helper("list", "", {})).toEqual({ code: 0, stdout: "{}\n" });
    const missing = await helper("get", "registry.example", {
      CODITECT_LICENSE_KEY_FILE: "/nonexistent/key",
    });
    expect(missing.code).toBe(1);
    expect(missing.stdout).toMatch(/CODITECT_LICENSE_KEY/);
    expect((await helper("nonsense", "", {})).code).toBe(2);
  });
});
