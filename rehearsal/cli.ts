/**
 * `npm run rehearse [-- --stack prod]`: renders the stack offline and runs the control plane as rendered
 * (docs/rehearsal.md). Prints each step with its time and ends with PASS or FAIL; exit 0 only on PASS.
 * Needs root (mount namespaces) and PostgreSQL's server binaries.
 */
import { parseCommandLine } from "../lib/cli.js";
import { REPO_ROOT } from "../stacks/plan/stack-file.js";
import { renderForRehearsal } from "./plan.js";
import { formatResult } from "./report.js";
import { rehearse } from "./run.js";

async function main(): Promise<void> {
  const { values } = parseCommandLine({
    name: "rehearse",
    usage:
      "usage: npm run rehearse -- [--stack <name, default prod>] [--no-journey]\nRenders the stack offline and runs the control plane as rendered (docs/rehearsal.md); needs root.",
    options: { stack: { type: "string", default: "prod" }, "no-journey": { type: "boolean" } },
  });
  const started = performance.now();
  const log = (line: string) => process.stdout.write(`${line}\n`);
  log(`rehearsal of stack "${values.stack}"`);
  const render = await renderForRehearsal(values.stack!, log);
  const result = await rehearse(render.rendered, {
    root: REPO_ROOT,
    log,
    journey: !values["no-journey"],
  });
  result.steps.unshift(render.step);
  process.stdout.write(`${formatResult(result, Math.round(performance.now() - started))}\n`, () =>
    process.exit(result.ok ? 0 : 1),
  );
}

main().catch((error: unknown) => {
  process.stderr.write(`rehearse: ${(error as Error).stack ?? error}\nFAIL\n`);
  process.exit(1);
});
