import { execFile } from "node:child_process";
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";
import type { Plan } from "./plan.js";
import { type RunEnvironment, runPolicyCommand } from "./run.js";
import { compliantPlan } from "./testing/compliant-plan.js";

const repoRoot = fileURLToPath(new URL("..", import.meta.url));

/** A temp repository root with an empty policy/config.json and no manifest directories. */
function tempRoot(): string {
  const root = mkdtempSync(join(tmpdir(), "policy-run-"));
  mkdirSync(join(root, "policy"));
  writeFileSync(join(root, "policy", "config.json"), "{}");
  return root;
}

function env(root: string, plans: Record<string, Plan> = {}): RunEnvironment {
  return {
    root,
    loadStackPlan: async (stack) => {
      const plan = plans[stack];
      if (!plan) throw new Error(`unknown stack ${stack}`);
      return plan;
    },
  };
}

function writePlan(root: string, plan: Plan, name = "plan.json"): string {
  const path = join(root, name);
  writeFileSync(path, JSON.stringify(plan));
  return path;
}

function publicSqlPlan(): Plan {
  const plan = compliantPlan();
  const db = plan.resources.find((r) => r.name === "billing-db")!;
  (db.inputs.settings as { ipConfiguration: Record<string, unknown> }).ipConfiguration.ipv4Enabled = true;
  return plan;
}

describe("npm run policy", () => {
  it("passes a compliant resources file with exit code 0", async () => {
    const root = tempRoot();
    const result = await runPolicyCommand(["--resources", writePlan(root, compliantPlan())], env(root));
    expect(result.exitCode).toBe(0);
    expect(result.stdout).toMatch(/0 mandatory violation\(s\), 0 advisory finding\(s\): passed/);
  });

  it("prints rule, severity, resource and message, and exits 1 on a mandatory violation", async () => {
    const root = tempRoot();
    const result = await runPolicyCommand(["--resources", writePlan(root, publicSqlPlan())], env(root));
    expect(result.exitCode).toBe(1);
    expect(result.stdout).toContain(
      "MANDATORY high gcp-sql-databaseinstance-no-public-ip urn:pulumi:test::coditect-control-plane::gcp:sql/databaseInstance:DatabaseInstance::billing-db",
    );
    expect(result.stdout).toContain("settings.ipConfiguration.ipv4Enabled is true");
    expect(result.stdout).toContain("fix: Set `settings.ipConfiguration.ipv4Enabled` to false");
    expect(result.stdout).toMatch(/1 mandatory violation\(s\), 0 advisory finding\(s\): FAILED/);
  });

  it("evaluates --stack through the injected plan loader and prints JSON with --json", async () => {
    const root = tempRoot();
    const result = await runPolicyCommand(
      ["--stack", "prod", "--json"],
      env(root, { prod: publicSqlPlan() }),
    );
    expect(result.exitCode).toBe(1);
    const report = JSON.parse(result.stdout);
    expect(report).toMatchObject({
      source: expect.stringMatching(/^stack prod \+ \d+ manifest/),
      passed: false,
    });
    expect(report.findings).toEqual([
      expect.objectContaining({
        rule: "gcp-sql-databaseinstance-no-public-ip",
        severity: "high",
        enforcementLevel: "mandatory",
        resource: expect.stringContaining("billing-db"),
        anchor: "Checkov CKV_GCP_60, Trivy AVD-GCP-0017",
      }),
    ]);
  });

  it("lets --enforcement and policy/config.json downgrade a rule so the run passes", async () => {
    const root = tempRoot();
    const file = writePlan(root, publicSqlPlan());
    const flag = await runPolicyCommand(
      ["--resources", file, "--enforcement", "gcp-sql-databaseinstance-no-public-ip=advisory"],
      env(root),
    );
    expect(flag.exitCode).toBe(0);
    expect(flag.stdout).toContain("ADVISORY high gcp-sql-databaseinstance-no-public-ip");

    writeFileSync(
      join(root, "policy", "config.json"),
      JSON.stringify({ "gcp-sql-databaseinstance-no-public-ip": "disabled" }),
    );
    const configured = await runPolicyCommand(["--resources", file], env(root));
    expect(configured.exitCode).toBe(0);
    expect(configured.stdout).not.toContain("gcp-sql-databaseinstance-no-public-ip");
  });

  it("checks Kubernetes YAML from --manifests alongside the plan", async () => {
    const root = tempRoot();
    const deploy = join(root, "deploy");
    mkdirSync(deploy);
    writeFileSync(
      join(deploy, "rbac.yaml"),
      [
        "apiVersion: rbac.authorization.k8s.io/v1",
        "kind: ClusterRole",
        "metadata: {name: too-much}",
        "rules:",
        "  - {apiGroups: ['*'], resources: ['*'], verbs: ['*']}",
        "---",
        "apiVersion: rbac.authorization.k8s.io/v1",
        "kind: ClusterRoleBinding",
        "metadata: {name: too-much}",
        "roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: cluster-admin}",
        "subjects: [{kind: ServiceAccount, name: x, namespace: y}]",
      ].join("\n"),
    );
    const result = await runPolicyCommand(
      ["--resources", writePlan(root, compliantPlan()), "--manifests", deploy, "--json"],
      env(root),
    );
    expect(result.exitCode).toBe(1);
    const rules = JSON.parse(result.stdout).findings.map(
      (f: { rule: string; resource: string }) => `${f.rule} ${f.resource}`,
    );
    expect(rules).toContain("k8s-rbac-role-no-wildcards file:deploy/rbac.yaml#ClusterRole/too-much");
    expect(rules).toContain(
      "k8s-rbac-binding-no-cluster-admin file:deploy/rbac.yaml#ClusterRoleBinding/too-much",
    );
  });

  it.each([
    [[], /nothing to evaluate: give --stack <name> or --resources <file.json>/],
    [["--stack", "prod", "--resources", "x.json"], /either --stack or --resources, not both/],
    [["--stak", "prod"], /Unknown option '--stak'/],
    [["--stack", "../etc"], /--stack "..\/etc" is not a stack name/],
    [["--stack", "staging"], /unknown stack staging/],
    [["--resources", "/nonexistent/plan.json"], /cannot read resources file \/nonexistent\/plan.json/],
    [
      ["--stack", "prod", "--enforcement", "no-such-rule=advisory"],
      /--enforcement: no policy named "no-such-rule"/,
    ],
  ])("exits 2 with a clear message for %j", async (argv, message) => {
    const root = tempRoot();
    const result = await runPolicyCommand(argv, env(root, { prod: compliantPlan() }));
    expect(result.exitCode).toBe(2);
    expect(result.stdout).toBe("");
    expect(result.stderr).toMatch(message);
  });

  it("exits 2 naming the entry and field of a malformed resources file", async () => {
    const root = tempRoot();
    const path = join(root, "bad.json");
    writeFileSync(
      path,
      JSON.stringify({ project: "p", stack: "s", resources: [{ urn: "u", name: "n", inputs: {} }] }),
    );
    const result = await runPolicyCommand(["--resources", path], env(root));
    expect(result.exitCode).toBe(2);
    expect(result.stderr).toContain(
      `${path} is not a resources file in the \`npm run plan -- --json\` format: at resources.0.type`,
    );
  });

  it("runs as a command: npm run policy wiring, exit status and streams", async () => {
    const root = tempRoot();
    const file = writePlan(root, publicSqlPlan());
    const run = promisify(execFile);
    const failure = await run(
      join(repoRoot, "node_modules/.bin/tsx"),
      [join(repoRoot, "policy/cli.ts"), "--resources", file, "--no-manifests"],
      {
        cwd: repoRoot,
      },
    ).catch((error: { code: number; stdout: string }) => error);
    expect(failure).toMatchObject({
      code: 1,
      stdout: expect.stringContaining("gcp-sql-databaseinstance-no-public-ip"),
    });
  });
});
