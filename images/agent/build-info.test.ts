import { spawnSync } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { exportPrivateJwk, generateSigningKey, publicJwks } from "../../lib/offline-tokens/index.js";
import { DEFAULT_BILLING_HOST, PROJECT_NAME } from "../../stacks/config.js";
import { bakedJwks, checkAgentBuild, licenseServerUrl } from "./build-info.js";
import { buildFromOptions, stackBuildFile } from "./bundle.js";

describe("licenseServerUrl", () => {
  const cases: [string, "production" | "development", string | RegExp][] = [
    ["https://billing.coditect.ai/", "production", "https://billing.coditect.ai"],
    ["https://billing.coditect.ai/base/", "production", "https://billing.coditect.ai/base"],
    ["http://127.0.0.1:8080", "production", /must be an https:\/\/ URL in a production agent/],
    ["http://localhost:8080/", "development", "http://localhost:8080"],
    ["http://[::1]:8080", "development", "http://[::1]:8080"],
    ["http://127.1.2.3", "development", "http://127.1.2.3"],
    ["http://10.0.0.1", "development", /http:\/\/ to a loopback address in development/],
    ["http://127.0.0.1.attacker.example", "development", /loopback address/],
    ["https://billing.example/?x=1", "production", /query or a fragment/],
    ["https://u@billing.example", "development", /credentials/],
    ["billing.example", "development", /is not a URL/],
  ];
  it.each(cases)("%s in %s → %s", (value, mode, expected) => {
    if (typeof expected === "string") expect(licenseServerUrl(value, mode, "X")).toBe(expected);
    else expect(() => licenseServerUrl(value, mode, "X")).toThrow(expected);
  });
});

describe("the JWKS a production agent bakes in", () => {
  it("accepts public Ed25519 keys and refuses private material, other key types and a missing kid", async () => {
    const key = await generateSigningKey("k1");
    const jwks = publicJwks({ current: key });
    expect(bakedJwks(jwks, "J")).toEqual(jwks);
    expect(() => bakedJwks({ keys: [exportPrivateJwk(key)] }, "J")).toThrow(/holds private key material/);
    expect(() => bakedJwks({ keys: [{ kty: "RSA", n: "x", e: "AQAB", kid: "r" }] }, "J")).toThrow(/kty/);
    const { kid: _kid, ...noKid } = jwks.keys[0]!;
    expect(() => bakedJwks({ keys: [noKid] }, "J")).toThrow(/kid/);
    expect(() => bakedJwks({ keys: [] }, "J")).toThrow(/holds no key/);
  });

  it("a production build needs both the server and the JWKS", () => {
    expect(() => checkAgentBuild({ mode: "production", licenseServer: "https://b.example" })).toThrow(
      /needs both a license server URL and a JWKS/,
    );
    expect(checkAgentBuild({ mode: "development" })).toEqual({ mode: "development" });
  });
});

describe("sessions:agent-bundle options", () => {
  it("reads --jwks from a file and refuses a production build without server or keys", async () => {
    const file = join(mkdtempSync(join(tmpdir(), "agent-jwks-")), "jwks.json");
    const jwks = publicJwks({ current: await generateSigningKey("k") });
    writeFileSync(file, JSON.stringify(jwks));
    expect(buildFromOptions({ "license-server": "https://b.example", jwks: file })).toEqual({
      mode: "production",
      licenseServer: "https://b.example",
      jwks,
    });
    expect(() => buildFromOptions({ "license-server": "https://b.example" })).toThrow(/--jwks <file>/);
    expect(buildFromOptions({ development: true })).toEqual({ mode: "development" });
    expect(() => buildFromOptions({ stack: "prod", jwks: file })).toThrow(/give neither flag/);
  });
});

describe("npm run sessions:agent-bundle (the contract the image builds use)", () => {
  const cli = (args: string[]) =>
    spawnSync(process.execPath, ["--import", "tsx", join("images", "agent", "bundle.ts"), ...args], {
      encoding: "utf8",
    });

  it("writes a production bundle with the server baked in, and refuses http with exit 2", async () => {
    const dir = mkdtempSync(join(tmpdir(), "agent-cli-"));
    const jwksFile = join(dir, "jwks.json");
    writeFileSync(jwksFile, JSON.stringify(publicJwks({ current: await generateSigningKey("cli") })));
    const out = join(dir, "agent.mjs");
    const ok = cli(["--out", out, "--license-server", "https://billing.example.test", "--jwks", jwksFile]);
    expect(ok.status, ok.stderr).toBe(0);
    expect(ok.stdout).toContain("production, license server https://billing.example.test");
    expect(readFileSync(out, "utf8")).toContain('licenseServer: "https://billing.example.test"');
    const http = cli(["--out", out, "--license-server", "http://127.0.0.1:8080", "--jwks", jwksFile]);
    expect(http.status).toBe(2);
    expect(http.stderr).toContain("must be an https:// URL in a production agent");
  });
});

describe("images/config/<stack>.json", () => {
  // `test` is not a Pulumi stack: the TEST-ONLY build inputs of `images:build --stack test` (ADR 0183).
  const stacks = readdirSync(join("images", "config"))
    .map((f) => f.replace(/\.json$/, ""))
    .filter((stack) => stack !== "test");

  it("test (images:build --stack test) is an https server on 127.0.0.1 with a usable public key", () => {
    const build = buildFromOptions({ stack: "test" });
    expect(checkAgentBuild(build).licenseServer).toBe("https://127.0.0.1:47443");
    expect(() => bakedJwks(build.jwks!, "test")).not.toThrow();
  });

  it("exists for every Pulumi stack", () => {
    const pulumiStacks = readdirSync(".")
      .filter((f) => /^Pulumi\.[a-z0-9-]+\.yaml$/.test(f))
      .map((f) => f.slice("Pulumi.".length, -".yaml".length));
    expect(stacks.sort()).toEqual(pulumiStacks.sort());
  });

  it.each(stacks)("%s names the stack's billing host and holds only public keys", (stack) => {
    const file = JSON.parse(readFileSync(stackBuildFile(stack), "utf8")) as {
      licenseServer: string;
      jwks: { keys: unknown[] };
    };
    const config = parse(readFileSync(`Pulumi.${stack}.yaml`, "utf8")).config;
    const host = config[`${PROJECT_NAME}:controlPlane`]?.billingHost ?? DEFAULT_BILLING_HOST;
    expect(file.licenseServer).toBe(`https://${host}`);
    // Empty until the stack's signing key exists: then `sessions:keygen -- --public` fills it (ADR 0155),
    // and a production bundle of this stack refuses to build before that.
    if (file.jwks.keys.length > 0) expect(() => bakedJwks(file.jwks, stack)).not.toThrow();
    else expect(() => checkAgentBuild(buildFromOptions({ stack }))).toThrow(/holds no key/);
  });
});
