/**
 * `npm run plan -- --stack <name> [--json]`: what `pulumi up` would declare, computed offline under mocks.
 * JSON mode prints the plan document the policy checks read; otherwise a table plus the stack outputs.
 * Exit codes: 0 ok, 2 bad arguments or configuration, 1 anything else.
 */
import { parseArgs } from "node:util";
import { StackConfigError } from "../config.js";
import { maskValue, renderTable } from "./format.js";
import { runPlan } from "./run-plan.js";
import { StackFileError } from "./stack-file.js";

const USAGE = "usage: npm run plan -- --stack <name> [--json]";

function fail(code: number, message: string): never {
  process.stderr.write(`plan: ${message}\n`);
  process.exit(code);
}

async function main(): Promise<void> {
  let values: { stack?: string; json?: boolean; help?: boolean };
  try {
    ({ values } = parseArgs({
      options: {
        stack: { type: "string" },
        json: { type: "boolean" },
        help: { type: "boolean", short: "h" },
      },
      strict: true,
    }));
  } catch (err) {
    fail(2, `${(err as Error).message}\n${USAGE}`);
  }
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    return;
  }
  if (!values.stack) fail(2, `--stack is required\n${USAGE}`);

  let result: Awaited<ReturnType<typeof runPlan>>;
  try {
    result = await runPlan(values.stack);
  } catch (err) {
    if (err instanceof StackFileError || err instanceof StackConfigError) fail(2, err.message);
    fail(1, `the program failed for stack "${values.stack}": ${(err as Error).stack ?? err}`);
  }
  const text = values.json
    ? `${JSON.stringify(result.document, null, 2)}\n`
    : `${renderTable(result.document)}\n\nOutputs:\n${Object.entries(result.outputs)
        .map(([k, v]) => `  ${k}: ${typeof v === "string" ? v : JSON.stringify(maskValue(v))}`)
        .join("\n")}\n`;
  // The Pulumi runtime keeps handles open; exit once the output is flushed.
  process.stdout.write(text, () => process.exit(0));
}

main().catch((err) => fail(1, String((err as Error).stack ?? err)));
