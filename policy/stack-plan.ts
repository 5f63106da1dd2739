/**
 * Produces a stack's plan for `--stack`: runs the Pulumi program offline with the stacks' own plan runner
 * (stacks/plan/run-plan.ts, the code behind `npm run plan -- --stack <name> --json`) and validates the
 * document like a resources file. The document carries `protect`, which CrossGuard rules read
 * (`args.opts.protect`, e.g. KMS keys protected from deletion). Imported lazily so `--resources` never
 * loads the program; the Pulumi runtime is a per-process singleton, so this runs at most once per process.
 */
import { type Plan, parsePlan } from "./plan.js";

/** The recorded plan of `stack`, with `protect` set on the resources created with that option. */
export async function loadStackPlan(stack: string): Promise<Plan> {
  const { runPlan } = await import("../stacks/plan/run-plan.js");
  try {
    const { document, standInsUsed } = await runPlan(stack);
    const { standInNotice } = await import("../stacks/plan/overrides.js");
    // Say so when a human still has values to fill in: passing the policy then proves less.
    process.stderr.write(standInNotice("policy", stack, standInsUsed));
    return parsePlan(document, `the plan of stack ${stack}`);
  } catch (error) {
    // The program is someone else's code: keep its first stack frame so the failure can be found.
    const frame = (error as Error).stack?.split("\n").find((line) => line.trim().startsWith("at "));
    const where = frame ? ` (${frame.trim()})` : "";
    throw new Error(`cannot produce the plan of stack ${stack}: ${(error as Error).message}${where}`, {
      cause: error,
    });
  }
}
