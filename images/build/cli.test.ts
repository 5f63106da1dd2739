import { spawnSync } from "node:child_process";
import { describe, expect, it } from "vitest";

const cli = (...args: string[]) =>
  spawnSync(process.execPath, ["--import", "tsx", "images/build/cli.ts", ...args], { encoding: "utf8" });

describe("npm run images:build", () => {
  it("prints its usage for --help and builds nothing", () => {
    const result = cli("--help");
    expect(result.status).toBe(0);
    expect(result.stdout).toMatch(/^usage: npm run images:build/);
    expect(result.stdout).toContain("docker, workstation, billing, operator");
  });

  it("exits 2 naming an unknown image or flag", () => {
    const unknownImage = cli("dokcer");
    expect(unknownImage.status).toBe(2);
    expect(unknownImage.stderr).toContain('images:build: unknown image "dokcer" (known: docker, workstation');
    const unknownFlag = cli("--no-such-flag");
    expect(unknownFlag.status).toBe(2);
    expect(unknownFlag.stderr).toContain("images:build: unknown option '--no-such-flag'");
  });

  it("exits 2 when a licensed image is asked for without --stack (no silent default agent)", () => {
    for (const args of [[], ["docker"], ["workstation", "billing"]]) {
      const result = cli(...args);
      expect(result.status).toBe(2);
      expect(result.stderr).toContain("images:build: the licensed images need --stack <name>");
    }
  });

  it("exits 1 before building when the stack's file cannot make a production agent", () => {
    // images/config/prod.json has no offline-token key yet: the build must not start.
    const result = cli("--stack", "prod", "docker");
    expect(result.status).toBe(1);
    expect(result.stderr).toMatch(/--stack prod: .*JWKS/);
    const unknown = cli("--stack", "nope", "docker");
    expect(unknown.status).toBe(1);
    expect(unknown.stderr).toContain("images/config/nope.json");
  });
});
