/**
 * The operator process does not load @kubernetes/client-node (issue 18, ADR 0313): operator/main.ts bundled
 * with operator/Dockerfile's esbuild flags (images/service-bundle.ts; service-bundle.test.ts checks they
 * are the Dockerfile's), and the metafile read for every module the bundle contains and every package it
 * imports. client-node's generated module graph cost the operator ~85 MB RSS; the one place allowed to
 * reach it is lib/kube's kubeconfig loader, by a dynamic import that runs only for a kubeconfig user with
 * `exec`/`auth-provider` (a laptop), never in a pod. Also: the image's heap limit (ADR 0314) is an option
 * the Node we ship accepts in NODE_OPTIONS.
 */
import { execFileSync, spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir, totalmem } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import type { Metafile } from "esbuild";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseDockerfileBuild, SERVICE_BUNDLES } from "../images/service-bundle.js";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const CLIENT_NODE = "@kubernetes/client-node";
const dir = mkdtempSync(join(tmpdir(), "operator-bundle-"));
let metafile: Metafile;

beforeAll(() => {
  const spec = SERVICE_BUNDLES.operator;
  const built = spawnSync(
    join(root, "node_modules", ".bin", "esbuild"),
    [
      spec.entry,
      ...spec.flags,
      `--outfile=${join(dir, spec.imageFile)}`,
      `--metafile=${join(dir, "meta.json")}`,
      "--log-level=error",
    ],
    { cwd: root },
  );
  if (built.status !== 0) throw new Error(`esbuild failed: ${built.stderr?.toString()}`);
  metafile = JSON.parse(readFileSync(join(dir, "meta.json"), "utf8")) as Metafile;
}, 60_000);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("the operator bundle (operator/Dockerfile's esbuild)", () => {
  it("contains the operator and lib/kube, and no module of @kubernetes/client-node", () => {
    const inputs = Object.keys(metafile.inputs);
    // Not vacuous: the bundle is the operator on lib/kube.
    expect(inputs).toEqual(
      expect.arrayContaining([
        "operator/main.ts",
        "operator/runtime/informer.ts",
        "operator/runtime/leader.ts",
        "lib/kube/client.ts",
        "lib/kube/errors.ts",
      ]),
    );
    expect(inputs.filter((path) => path.includes(CLIENT_NODE) || path.includes("kube-connections"))).toEqual(
      [],
    );
  });

  it("imports @kubernetes/client-node statically from nowhere (only lib/kube's lazy exec-auth path)", () => {
    const importers: { from: string; kind: string }[] = [];
    for (const [from, input] of Object.entries(metafile.inputs)) {
      for (const imported of input.imports) {
        if (imported.path === CLIENT_NODE || imported.path.startsWith(`${CLIENT_NODE}/`)) {
          importers.push({ from, kind: imported.kind });
        }
      }
    }
    expect(importers.filter((i) => i.kind !== "dynamic-import")).toEqual([]);
    expect(importers.filter((i) => !i.from.startsWith("lib/kube/"))).toEqual([]);
    const [output] = Object.values(metafile.outputs);
    const staticPackages = output!.imports
      .filter((i) => i.external && i.kind === "import-statement")
      .map((i) => i.path);
    expect(staticPackages).toContain("pino"); // not vacuous: packages stay external and are listed
    expect(staticPackages.filter((p) => p.startsWith(CLIENT_NODE))).toEqual([]);
  });
});

describe("the operator image's heap limit (ADR 0314)", () => {
  it("sets V8's old space as a share of the memory limit, in a form our Node accepts", () => {
    const { env } = parseDockerfileBuild(readFileSync(join(root, "operator/Dockerfile"), "utf8"));
    const options = (env.NODE_OPTIONS ?? "").split(" ");
    const percentage = Number(
      options.map((o) => /^--max-old-space-size-percentage=(\d+)$/.exec(o)?.[1]).find(Boolean),
    );
    expect(percentage).toBeGreaterThanOrEqual(40);
    expect(percentage).toBeLessThanOrEqual(75);
    // Node refuses an option it does not know (or does not allow in NODE_OPTIONS) before running anything.
    const limitMiB = Number(
      execFileSync(
        process.execPath,
        ["-e", "console.log(require('v8').getHeapStatistics().heap_size_limit / 2 ** 20)"],
        { env: { PATH: process.env.PATH ?? "", NODE_OPTIONS: env.NODE_OPTIONS } },
      ).toString(),
    );
    // No cgroup limit here: the share is of the machine's memory (old space only; the young generation adds).
    const memory = Math.min(totalmem(), process.constrainedMemory() || totalmem()) / 2 ** 20;
    expect(limitMiB).toBeGreaterThanOrEqual((memory * percentage) / 100 - 1);
    expect(limitMiB).toBeLessThan((memory * percentage) / 100 + 512);
  });

  it("caps the young generation's semi-spaces at 1 MiB, in a form our Node accepts and applies (ADR 0320)", () => {
    const { env } = parseDockerfileBuild(readFileSync(join(root, "operator/Dockerfile"), "utf8"));
    const semiSpace = (env.NODE_OPTIONS ?? "").split(" ").find((o) => o.startsWith("--max-semi-space-size="));
    expect(semiSpace).toBe("--max-semi-space-size=1");
    // With a fixed old space, the heap limit is old space + young generation (3 semi-spaces' worth): V8's
    // default here is 64 MiB semi-spaces (old space + 192 MiB).
    const limitMiB = (nodeOptions: string) =>
      Number(
        execFileSync(
          process.execPath,
          ["-e", "console.log(require('v8').getHeapStatistics().heap_size_limit / 2 ** 20)"],
          { env: { PATH: process.env.PATH ?? "", NODE_OPTIONS: nodeOptions } },
        ).toString(),
      );
    expect(limitMiB(`--max-old-space-size=100 ${semiSpace}`)).toBeLessThanOrEqual(100 + 3);
  });
});
