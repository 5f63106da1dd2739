import { readdirSync, readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { EMPTY_CONFIG } from "./config.js";
import { evaluate } from "./evaluate.js";
import { allPolicies } from "./policies.js";
import { renderRuleTable } from "./rule-table.js";
import { compliantPlan } from "./testing/compliant-plan.js";

const testSources = [
  ...readdirSync(new URL("./rules/", import.meta.url)).map((f) => new URL(`./rules/${f}`, import.meta.url)),
  ...readdirSync(new URL("./kubernetes/rules/", import.meta.url)).map(
    (f) => new URL(`./kubernetes/rules/${f}`, import.meta.url),
  ),
]
  .filter((url) => url.pathname.endsWith(".test.ts"))
  .map((url) => readFileSync(url, "utf8"));

describe("the policy pack", () => {
  it("has at least 40 GCP rules and unique, convention-following names", () => {
    const names = allPolicies.map((p) => p.name);
    expect(new Set(names).size).toBe(names.length);
    expect(names.filter((n) => n.startsWith("gcp-")).length).toBeGreaterThanOrEqual(40);
    for (const name of names) expect(name).toMatch(/^(gcp-[a-z]+-[a-z]+-[a-z0-9-]+|k8s-[a-z]+-[a-z0-9-]+)$/);
  });

  it("gives every rule a description, severity, default level and a remediation naming a field", () => {
    for (const policy of allPolicies) {
      expect(policy.description.length, policy.name).toBeGreaterThan(10);
      expect(["low", "medium", "high", "critical"], policy.name).toContain(policy.severity);
      expect(["advisory", "mandatory"], policy.name).toContain(policy.enforcementLevel);
      // Field names are written in backticks: `host.gceInstance.machineType`.
      if (policy.name !== "k8s-customresource-schema-valid")
        expect(policy.remediationSteps, policy.name).toMatch(/`[^`]+`/);
    }
  });

  it("has a module file named after each rule", () => {
    const files = [
      ...readdirSync(new URL("./rules/", import.meta.url)),
      ...readdirSync(new URL("./kubernetes/rules/", import.meta.url)),
    ];
    for (const policy of allPolicies) expect(files, policy.name).toContain(`${policy.name}.ts`);
  });

  it("has table tests for every rule", () => {
    const untested = allPolicies.filter((p) => !testSources.some((src) => src.includes(`./${p.name}.js"`)));
    expect(untested.map((p) => p.name)).toEqual([]);
  });

  it("is documented: docs/policy.md holds the current generated rule table", () => {
    const docs = readFileSync(new URL("../docs/policy.md", import.meta.url), "utf8");
    expect(docs).toContain(renderRuleTable(allPolicies));
  });

  it("finds nothing at all in the hardened compliant plan, advisory rules included", async () => {
    const evaluation = await evaluate(compliantPlan(), allPolicies, EMPTY_CONFIG);
    expect(evaluation.findings).toEqual([]);
    expect(evaluation.blocked).toBe(false);
    expect(evaluation.policiesRun).toBe(allPolicies.length);
  });
});
