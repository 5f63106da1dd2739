/**
 * Issue 12 item 15: the README's prerequisites and package.json `engines` name the same Node, and the
 * documented install (`npm ci` on that Node) prints no engine warnings. The install runs as a dry run
 * from the lockfile in a scratch copy, offline, so it touches neither node_modules nor the network.
 */
import { spawnSync } from "node:child_process";
import { copyFileSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { delimiter, dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it } from "vitest";

const ROOT = dirname(dirname(fileURLToPath(import.meta.url)));
const pkg = JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8"));
const scratch = mkdtempSync(join(tmpdir(), "install-"));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

function floorOf(range: string): number[] {
  const match = /^>=(\d+)\.(\d+)\.(\d+)$/.exec(range);
  if (!match) throw new Error(`engines.node "${range}" is not of the form >=X.Y.Z`);
  return match.slice(1).map(Number);
}

function atLeast(a: number[], b: number[]): boolean {
  for (let i = 0; i < 3; i++) if (a[i] !== b[i]) return a[i]! > b[i]!;
  return true;
}

describe("install prerequisites", () => {
  it("README names the Node that engines requires", () => {
    const [major, minor] = floorOf(pkg.engines.node);
    const readme = readFileSync(join(ROOT, "README.md"), "utf8");
    const stated = /Prerequisites: Node\.js ≥ (\d+)(?:\.(\d+))?/.exec(readme);
    expect(stated, "README has a 'Prerequisites: Node.js ≥ …' line").not.toBeNull();
    expect([Number(stated![1]), Number(stated![2] ?? 0)]).toEqual([major, minor]);
  });

  it("the node devDependency every npm script runs on satisfies engines", () => {
    const devNode = /^\^(\d+)\.(\d+)\.(\d+)$/.exec(pkg.devDependencies.node);
    expect(devNode).not.toBeNull();
    expect(atLeast(devNode!.slice(1).map(Number), floorOf(pkg.engines.node))).toBe(true);
    expect(atLeast(process.versions.node.split(".").map(Number), floorOf(pkg.engines.node))).toBe(true);
  });

  it("npm ci on that Node prints no EBADENGINE or other warning", () => {
    for (const file of ["package.json", "package-lock.json"])
      copyFileSync(join(ROOT, file), join(scratch, file));
    const result = spawnSync(
      "npm",
      ["ci", "--dry-run", "--offline", "--ignore-scripts", "--no-audit", "--no-fund", "--no-update-notifier"],
      {
        cwd: scratch,
        encoding: "utf8",
        // The Node running this test is the devDependency's Node 24: put it first, as the documented path has it.
        env: { PATH: `${dirname(process.execPath)}${delimiter}${process.env.PATH}`, HOME: scratch },
        timeout: 120_000,
      },
    );
    expect(result.status, result.stderr).toBe(0);
    expect(`${result.stdout}${result.stderr}`).not.toMatch(/EBADENGINE|npm warn/i);
    expect(result.stdout).toMatch(/added \d+ packages/);
  }, 150_000);
});
