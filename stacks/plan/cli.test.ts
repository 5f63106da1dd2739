/** `npm run plan` as ops and the policy checks run it: a subprocess, real files, exit codes. */
import { execFile } from "node:child_process";
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import type { PlanDocument } from "./format.js";
import { REPO_ROOT } from "./stack-file.js";

const dir = mkdtempSync(path.join(tmpdir(), "coditect-plan-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function plan(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const tsx = path.join(REPO_ROOT, "node_modules/.bin/tsx");
  return new Promise((resolve) => {
    execFile(
      tsx,
      ["stacks/plan/cli.ts", ...args],
      { cwd: REPO_ROOT, maxBuffer: 64 * 1024 * 1024 },
      (err, stdout, stderr) =>
        resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr }),
    );
  });
}

describe.concurrent("npm run plan", () => {
  it("prints the prod plan as the documented JSON document", async () => {
    const { code, stdout, stderr } = await plan("--stack", "prod", "--json");
    // The committed file leaves the release digests and Stripe price ids to a human: the plan says it
    // used the offline stand-ins for exactly those (C2).
    expect(stderr).toMatch(
      /^plan: stack "prod" leaves 9 value\(s\) to a human; planned with offline stand-ins/,
    );
    expect(stderr).toContain("controlPlane.billingImage");
    expect(stderr).toContain("controlPlane.stripePriceIds.ai");
    expect(code).toBe(0);
    const doc = JSON.parse(stdout) as PlanDocument;
    expect(doc.project).toBe("coditect-control-plane");
    expect(doc.stack).toBe("prod");
    const urns = new Set(doc.resources.map((r) => r.urn));
    for (const r of doc.resources) {
      const fields = ["urn", "type", "name", "parent", "inputs", "dependencies"];
      expect(Object.keys(r)).toEqual(r.protect ? [...fields, "protect"] : fields);
      expect(r.urn.startsWith("urn:pulumi:prod::coditect-control-plane::")).toBe(true);
      expect(r.urn.endsWith(`$${r.type}::${r.name}`) || r.urn.endsWith(`::${r.type}::${r.name}`)).toBe(true);
      if (r.parent) expect(urns).toContain(r.parent);
      for (const dep of r.dependencies) expect(urns).toContain(dep);
    }
    const repo = doc.resources.find(
      (r) =>
        r.type === "gcp:artifactregistry/repository:Repository" &&
        r.inputs.repositoryId === "coditect-images",
    );
    expect(repo?.inputs).toMatchObject({ format: "DOCKER", dockerConfig: { immutableTags: true } });
    expect(repo?.parent).toBe(
      "urn:pulumi:prod::coditect-control-plane::coditect:index:LicensedRegistry::coditect-registry",
    );
  }, 120_000);

  it("plans the dev stack, the second environment, in its own project", async () => {
    const { code, stdout, stderr } = await plan("--stack", "dev", "--json");
    expect(stderr).toMatch(/stack "dev" leaves 9 value/);
    expect(code).toBe(0);
    const doc = JSON.parse(stdout) as PlanDocument;
    const sql = doc.resources.find((r) => r.type === "gcp:sql/databaseInstance:DatabaseInstance");
    expect(sql?.inputs).toMatchObject({
      project: "coditect-citus-dev",
      settings: { availabilityType: "ZONAL" },
    });
    const cluster = doc.resources.find(
      (r) => r.type === "gcp:workstations/workstationCluster:WorkstationCluster",
    );
    expect(cluster?.inputs.workstationClusterId).toBe("coditect-ws-dev");
    const billing = doc.resources.find(
      (r) => r.type === "kubernetes:apps/v1:Deployment" && r.name.endsWith("billing"),
    );
    expect(JSON.stringify(billing?.inputs)).toContain(
      "us-central1-docker.pkg.dev/coditect-citus-dev/coditect-platform/billing@sha256:0ff11e00",
    );
  }, 120_000);

  it("names a stack without a configuration file and lists the existing ones", async () => {
    const { code, stderr } = await plan("--stack", "qa");
    expect(code).toBe(2);
    expect(stderr).toMatch(/Pulumi\.qa\.yaml does not exist \(stacks here: [^)]*\bprod\b/);
  }, 120_000);

  it("names the invalid key of a broken configuration and prints no plan", async () => {
    copyFileSync(path.join(REPO_ROOT, "Pulumi.prod.yaml"), path.join(dir, "Pulumi.broken.yaml"));
    const text = readFileSync(path.join(dir, "Pulumi.broken.yaml"), "utf8").replace(
      "idleTimeoutSeconds: 1800",
      "idleTimeoutSeconds: 10",
    );
    writeFileSync(path.join(dir, "Pulumi.broken.yaml"), text);
    const { code, stdout, stderr } = await plan("--stack", "broken", "--config-dir", dir);
    expect(code).toBe(2);
    expect(stdout).toBe("");
    expect(stderr).toMatch(/coditect-control-plane:workstations\.idleTimeoutSeconds: .*300/);
  }, 120_000);

  it("requires --stack", async () => {
    const { code, stderr } = await plan("--json");
    expect(code).toBe(2);
    expect(stderr).toMatch(/--stack is required/);
  }, 120_000);
});
