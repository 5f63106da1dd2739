/**
 * The resources file format shared with `npm run plan -- --json` (stacks/, issue 6): one entry per
 * resource the program registers, with its SDK inputs as the mocks saw them. Parsed strictly so a bad
 * or hand-edited file fails with a message naming the entry and field, never with a stack trace.
 */
import { z } from "zod";

const planResourceSchema = z.object({
  urn: z.string().min(1),
  type: z.string().min(1),
  name: z.string(),
  parent: z.string().nullable().optional().default(null),
  inputs: z.record(z.string(), z.unknown()).default({}),
  dependencies: z.array(z.string()).default([]),
  /** Optional: the `protect` resource option, when the recorder captured it. */
  protect: z.boolean().optional(),
});

const planSchema = z.object({
  project: z.string(),
  stack: z.string(),
  resources: z.array(planResourceSchema),
});

/** One resource as recorded by the plan. */
export type PlanResource = z.infer<typeof planResourceSchema>;
/** A recorded plan: which stack, and every resource it declares. */
export type Plan = z.infer<typeof planSchema>;

/** Validates an already-parsed JSON value as a plan; `source` names the file in error messages. */
export function parsePlan(value: unknown, source: string): Plan {
  const result = planSchema.safeParse(value);
  if (result.success) return result.data;
  const issue = result.error.issues[0]!;
  const where = issue.path.length > 0 ? issue.path.join(".") : "(top level)";
  throw new Error(
    `${source} is not a resources file in the \`npm run plan -- --json\` format: at ${where}: ${issue.message}`,
  );
}

/** Parses the text of a resources file (JSON) as a plan. */
export function parsePlanText(text: string, source: string): Plan {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new Error(`${source} is not valid JSON: ${(error as Error).message}`);
  }
  return parsePlan(value, source);
}
