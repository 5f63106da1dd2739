import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseAllDocuments } from "yaml";
import { manifestFiles } from "./manifests.js";
import { renderForRehearsal } from "./plan.js";
import type { KubeManifest, RenderedStack } from "./render.js";

const TSX = import.meta.resolve("tsx");
const work = mkdtempSync(join(tmpdir(), "manifests-"));
let rendered: RenderedStack;
let cli: ReturnType<typeof spawnSync>;
beforeAll(async () => {
  ({ rendered } = await renderForRehearsal("prod"));
  cli = spawnSync(
    process.execPath,
    ["--import", TSX, "rehearsal/manifests-cli.ts", "--stack", "prod", "--out", join(work, "out")],
    { encoding: "utf8", timeout: 120_000 },
  );
}, 150_000);
afterAll(() => rmSync(work, { recursive: true, force: true }));

function objectsIn(dir: string, file: string): KubeManifest[] {
  return parseAllDocuments(readFileSync(join(dir, file), "utf8")).map((d) => d.toJS() as KubeManifest);
}

describe("npm run manifests", () => {
  it("writes exactly the objects the rehearsal runs, in apply order, with a kustomization naming them", () => {
    expect(cli.stderr).toContain("offline stand-ins");
    expect(cli.status).toBe(0);
    const dir = join(work, "out");
    const kustomization = objectsIn(dir, "kustomization.yaml")[0] as unknown as { resources: string[] };
    expect(kustomization.resources[0]).toBe("00-crds.yaml");
    expect(kustomization.resources).toEqual([...kustomization.resources].sort());
    const written = kustomization.resources.flatMap((f) => objectsIn(dir, f));
    const rehearsed = [
      ...rendered.crds,
      ...rendered.namespaces,
      ...rendered.serviceAccounts,
      ...rendered.rbac,
      ...rendered.configMaps,
      ...rendered.secretProviderClasses,
      ...rendered.deployments,
      ...rendered.services,
      ...rendered.ingresses,
      ...rendered.other,
    ];
    expect(written).toEqual(rehearsed);
    expect(written.filter((m) => m.kind === "Secret")).toEqual([]);
  });

  it("lists the offline stand-ins at the top of the file that holds them", () => {
    const deployments = readFileSync(join(work, "out", "06-deployments.yaml"), "utf8");
    const header = deployments.slice(0, deployments.indexOf("apiVersion:"));
    expect(header).toContain("OFFLINE STAND-INS");
    expect(header).toMatch(
      /Deployment coditect-billing\/billing spec\.template\.spec\.containers\[0\]\.image = \S+@sha256:0ff11e00/,
    );
    expect(header).toContain("price_offline_stand_in_pro");
    expect(readFileSync(join(work, "out", "01-namespaces.yaml"), "utf8")).not.toContain("STAND-INS");
  });

  it("is a kustomization kubectl accepts", () => {
    const home = join(work, "home");
    mkdirSync(home, { recursive: true });
    const built = spawnSync("kubectl", ["kustomize", join(work, "out")], {
      encoding: "utf8",
      env: { PATH: process.env.PATH, HOME: home },
    });
    expect(built.stderr).toBe("");
    expect(built.status).toBe(0);
    expect(built.stdout).toContain("name: billing");
  });

  it("never writes a Secret, even one the program declared", () => {
    const withSecret: RenderedStack = {
      ...rendered,
      other: [
        ...rendered.other,
        {
          apiVersion: "v1",
          kind: "Secret",
          metadata: { name: "leak", namespace: "x" },
          data: { k: "c2VjcmV0" },
        },
      ],
    };
    const text = manifestFiles(withSecret)
      .map((f) => f.content)
      .join("\n");
    expect(text).not.toContain("c2VjcmV0");
    expect(text).not.toContain("kind: Secret\n");
  });

  it("refuses an --out directory that already holds files, naming it", () => {
    const stale = join(work, "stale");
    mkdirSync(stale);
    writeFileSync(join(stale, "old.yaml"), "kind: Old\n");
    const result = spawnSync(
      process.execPath,
      ["--import", TSX, "rehearsal/manifests-cli.ts", "--stack", "prod", "--out", stale],
      { encoding: "utf8" },
    );
    expect(result.status).toBe(2);
    expect(result.stderr).toContain(`--out "${stale}" is not empty`);
  });

  it("requires --stack and --out", () => {
    const result = spawnSync(
      process.execPath,
      ["--import", TSX, "rehearsal/manifests-cli.ts", "--out", work],
      {
        encoding: "utf8",
      },
    );
    expect(result.status).toBe(2);
    expect(result.stderr).toContain("--stack is required");
  });
});
