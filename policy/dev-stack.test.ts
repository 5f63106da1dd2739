/**
 * The dev stack (Pulumi.dev.yaml, the second environment) against the whole pack, like prod-stack.test.ts:
 * a new environment must pass the same mandatory rules. One plan per process, so its own file.
 */
import { fileURLToPath } from "node:url";
import { beforeAll, describe, expect, it } from "vitest";
import { loadPolicyConfig } from "./config.js";
import { type Evaluation, evaluate } from "./evaluate.js";
import { allPolicies, policyNames } from "./policies.js";
import { loadStackPlan } from "./stack-plan.js";

const root = fileURLToPath(new URL("..", import.meta.url));
let evaluation: Evaluation;

beforeAll(async () => {
  const plan = await loadStackPlan("dev");
  evaluation = await evaluate(plan, allPolicies, loadPolicyConfig(`${root}policy/config.json`, policyNames));
}, 120_000);

describe("the dev stack", () => {
  it("passes every mandatory rule", () => {
    const mandatory = evaluation.findings.filter((f) => f.enforcementLevel === "mandatory");
    expect(mandatory.map((f) => `${f.policy} ${f.urn}: ${f.message}`)).toEqual([]);
  });
});
