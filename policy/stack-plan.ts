/**
 * Produces a stack's plan for `--stack`, by importing the plan function of the Pulumi program's offline
 * harness (stacks/, issue 6) — the same code `npm run plan -- --stack <name> --json` prints from.
 */
import type { Plan } from "./plan.js";

/** The recorded plan of `stack`, validated like a resources file. */
export async function loadStackPlan(stack: string): Promise<Plan> {
  throw new Error(`cannot produce the plan of stack ${stack}: the stacks plan module is not available yet`);
}
