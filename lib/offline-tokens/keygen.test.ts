import { execFile, spawnSync } from "node:child_process";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { checkAgentBuild } from "../../images/agent/build-info.js";
import { keySetFromConfig } from "./keys.js";

const run = (args: string[]) =>
  new Promise<{ code: number; stdout: string; stderr: string }>((resolve) =>
    execFile(
      process.execPath,
      ["--import", "tsx", join(import.meta.dirname, "keygen.ts"), ...args],
      { timeout: 60_000 },
      (error, stdout, stderr) => resolve({ code: error ? Number(error.code) : 0, stdout, stderr }),
    ),
  );

describe("npm run sessions:keygen", () => {
  it("prints a key set billing accepts, with a fresh key each time", async () => {
    const [a, b] = await Promise.all([run(["--kid", "prod-2026-11"]), run([])]);
    expect(a.code).toBe(0);
    const keySet = await keySetFromConfig(a.stdout, "keygen output");
    expect(keySet.current.kid).toBe("prod-2026-11");
    expect(keySet.next).toBeUndefined();
    const other = await keySetFromConfig(b.stdout, "keygen output");
    expect(other.current.publicJwk.x).not.toBe(keySet.current.publicJwk.x);
    expect(a.stderr).toBe("");
  });

  it("names a bad --kid and prints no key", async () => {
    const bad = await run(["--kid", "has space"]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('--kid "has space"');
    expect(bad.stdout).toBe("");
  });

  it("--public turns a key set on stdin into the public JWKS a production agent bakes in", async () => {
    const keySet = (await run(["--kid", "pub-1"])).stdout;
    const result = spawnSync(
      process.execPath,
      ["--import", "tsx", join(import.meta.dirname, "keygen.ts"), "--public"],
      { input: keySet, encoding: "utf8" },
    );
    expect(result.status, result.stderr).toBe(0);
    const jwks = JSON.parse(result.stdout);
    expect(jwks.keys).toHaveLength(1);
    expect(jwks.keys[0]).toMatchObject({ kty: "OKP", crv: "Ed25519", kid: "pub-1" });
    expect(jwks.keys[0]).not.toHaveProperty("d");
    expect(checkAgentBuild({ mode: "production", licenseServer: "https://b.example", jwks }).jwks).toEqual(
      jwks,
    );
  });
});
