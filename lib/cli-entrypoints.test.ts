/**
 * Every `npm run` script that starts a TypeScript entry point answers `--help` with its usage and exit 0
 * without doing anything else, and refuses an unknown flag with exit 2 naming it (issue 12 item 13).
 * Each runs in an empty working directory with an empty environment, so a side effect — a migrated
 * embedded database under .data/, a bundle written to a file named `--help` — shows up as a file there.
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it } from "vitest";

const ROOT = dirname(dirname(fileURLToPath(import.meta.url)));
const TSX = import.meta.resolve("tsx");
const scripts = JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")).scripts as Record<
  string,
  string
>;
const entryPoints = Object.entries(scripts).flatMap(([name, command]) => {
  const match = /^tsx (\S+\.ts)$/.exec(command);
  return match ? [{ name, file: join(ROOT, match[1]!) }] : [];
});
const scratch: string[] = [];
afterAll(() => {
  for (const dir of scratch) rmSync(dir, { recursive: true, force: true });
});

function run(file: string, args: string[]) {
  const cwd = mkdtempSync(join(tmpdir(), "cli-help-"));
  scratch.push(cwd);
  const result = spawnSync(process.execPath, ["--import", TSX, file, ...args], {
    cwd,
    env: { PATH: process.env.PATH, HOME: cwd },
    encoding: "utf8",
    timeout: 60_000,
  });
  return { ...result, leftBehind: readdirSync(cwd) };
}

describe("CLI entry points", () => {
  it("covers every tsx script in package.json, each a plain `tsx <file>` so npm hands it the arguments", () => {
    expect(entryPoints.map((e) => e.name)).toEqual(
      expect.arrayContaining(["billing", "operator", "migrate", "plan", "policy", "agent", "kube:serve"]),
    );
    expect(entryPoints.map((e) => e.name)).toEqual(
      expect.arrayContaining(["fake:stripe", "fake:workstations", "start", "sandbox:pay", "rehearse"]),
    );
    expect(entryPoints.map((e) => e.name)).toEqual(
      expect.arrayContaining([
        "sessions:agent-bundle",
        "sessions:keygen",
        "bench",
        "crds:types",
        "manifests",
      ]),
    );
    const chained = Object.entries(scripts).filter(([, c]) => c.startsWith("tsx ") && /&&|;/.test(c));
    expect(chained).toEqual([]);
  });

  it.each(entryPoints)(
    "npm run $name -- --help prints the usage, exits 0 and leaves nothing behind",
    ({ file }) => {
      const result = run(file, ["--help"]);
      expect(result.stderr).toBe("");
      expect(result.status).toBe(0);
      expect(result.stdout).toMatch(/usage: /);
      expect(result.leftBehind).toEqual([]);
    },
    90_000,
  );

  it.each(entryPoints)(
    "npm run $name -- --no-such-flag exits 2 naming the flag",
    ({ file }) => {
      const result = run(file, ["--no-such-flag"]);
      expect(result.status).toBe(2);
      expect(result.stderr).toContain("--no-such-flag");
      expect(result.stderr).toMatch(/usage: /);
      expect(result.leftBehind).toEqual([]);
    },
    90_000,
  );
});
