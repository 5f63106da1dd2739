/**
 * Test infrastructure: table-driven rule tests. For each rule, the compliant plan must pass, each
 * breaking mutation (one field of one resource of the compliant plan) must make the rule report a
 * violation on that resource whose message matches, and each "still passes" variant (a default left
 * unset, an exemption) must not.
 */
import { describe, expect, it } from "vitest";
import { EMPTY_CONFIG, type PolicyConfig } from "../config.js";
import { evaluate } from "../evaluate.js";
import type { Plan } from "../plan.js";
import type { CoditectPolicy } from "../types.js";
import { compliantPlan } from "./compliant-plan.js";

// biome-ignore lint/suspicious/noExplicitAny: mutations reach into arbitrary nested SDK inputs.
export type Inputs = Record<string, any>;

export interface Variant {
  title: string;
  /** Name of the resource in the compliant plan to change. */
  resource: string;
  mutate: (inputs: Inputs, plan: Plan) => void;
  /** Per-rule settings (as in policy/config.json) for this variant. */
  settings?: Record<string, unknown>;
}

export interface Breaking extends Variant {
  message: RegExp;
}

export interface RuleCase {
  policy: CoditectPolicy;
  breaks: Breaking[];
  passes?: Variant[];
}

function variantPlan(variant: Variant): { plan: Plan; urn: string } {
  const plan = compliantPlan();
  const target = plan.resources.find((r) => r.name === variant.resource);
  if (!target) throw new Error(`compliant plan has no resource named ${variant.resource}`);
  variant.mutate(target.inputs, plan);
  return { plan, urn: target.urn };
}

function configOf(policy: CoditectPolicy, variant: Variant): PolicyConfig {
  return variant.settings ? { enforcement: {}, settings: { [policy.name]: variant.settings } } : EMPTY_CONFIG;
}

/** Registers the vitest cases for a table of rules. */
export function ruleCases(cases: readonly RuleCase[]): void {
  for (const { policy, breaks, passes = [] } of cases) {
    describe(policy.name, () => {
      it("passes the compliant plan", async () => {
        const evaluation = await evaluate(compliantPlan(), [policy], EMPTY_CONFIG);
        expect(evaluation.findings).toEqual([]);
      });
      for (const variant of breaks) {
        it(`fails when ${variant.title}`, async () => {
          const { plan, urn } = variantPlan(variant);
          const { findings } = await evaluate(plan, [policy], configOf(policy, variant));
          expect(findings.map((f) => ({ policy: f.policy, urn: f.urn }))).toContainEqual({
            policy: policy.name,
            urn,
          });
          expect(findings.filter((f) => f.urn === urn).map((f) => f.message)).toContainEqual(
            expect.stringMatching(variant.message),
          );
        });
      }
      for (const variant of passes) {
        it(`still passes when ${variant.title}`, async () => {
          const { plan } = variantPlan(variant);
          const { findings } = await evaluate(plan, [policy], configOf(policy, variant));
          expect(findings).toEqual([]);
        });
      }
    });
  }
}
