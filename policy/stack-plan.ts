/**
 * Produces a stack's plan for `--stack`: runs the Pulumi program offline with the stacks' own recording
 * harness and plan formatter (stacks/plan/, the code behind `npm run plan -- --stack <name> --json`) and
 * validates the document like a resources file.
 *
 * It mirrors stacks/plan/run-plan.ts instead of calling it for one reason: the recorder also captures the
 * `protect` resource option, which the plan document leaves out, and CrossGuard rules read it
 * (`args.opts.protect`, e.g. KMS keys protected from deletion). The document is otherwise exactly
 * `toPlanDocument`'s. Imported lazily so `--resources` never loads the program; the Pulumi runtime is a
 * per-process singleton, so this runs at most once per process.
 */
import path from "node:path";
import { pathToFileURL } from "node:url";
import { type Plan, parsePlan } from "./plan.js";

/** The recorded plan of `stack`, with `protect` set on the resources created with that option. */
export async function loadStackPlan(stack: string): Promise<Plan> {
  const [
    { PROJECT_NAME },
    { REPO_ROOT },
    { readStackFile },
    { startRecording, resolveOutput },
    { toPlanDocument },
  ] = await Promise.all([
    import("../stacks/config.js"),
    import("../stacks/plan/run-plan.js"),
    import("../stacks/plan/stack-file.js"),
    import("../stacks/plan/harness.js"),
    import("../stacks/plan/format.js"),
  ]);
  try {
    const { config, secretKeys } = readStackFile(REPO_ROOT, stack);
    const recording = await startRecording({
      project: PROJECT_NAME,
      stack,
      preview: true,
      config,
      secretKeys,
    });
    const program = (await import(pathToFileURL(path.join(REPO_ROOT, "stacks/index.ts")).href)) as Record<
      string,
      unknown
    >;
    for (const output of Object.values(program)) await resolveOutput(output);
    const recorded = await recording.settle();
    const protectedUrns = new Set(recorded.filter((r) => r.protect).map((r) => r.urn));
    const document = toPlanDocument(PROJECT_NAME, stack, recorded);
    const resources = document.resources.map((r) => (protectedUrns.has(r.urn) ? { ...r, protect: true } : r));
    return parsePlan({ ...document, resources }, `the plan of stack ${stack}`);
  } catch (error) {
    // The program is someone else's code: keep its first stack frame so the failure can be found.
    const frame = (error as Error).stack?.split("\n").find((line) => line.trim().startsWith("at "));
    const where = frame ? ` (${frame.trim()})` : "";
    throw new Error(`cannot produce the plan of stack ${stack}: ${(error as Error).message}${where}`, {
      cause: error,
    });
  }
}
