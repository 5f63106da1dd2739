/**
 * `npm run plan -- --stack <name> [--json] [--config-dir <dir>]`: what `pulumi up` would declare,
 * computed offline under mocks. JSON mode prints the plan document the policy checks read; otherwise a
 * table plus the stack outputs. Values the stack leaves to a human (release digests, Stripe price ids) are
 * planned with the offline stand-ins, and stderr says which (ADR 0101).
 * Exit codes: 0 ok, 2 bad arguments or configuration, 1 anything else.
 * The Pulumi SDK is loaded only after the arguments and the stack file are known to be usable.
 */
import { parseCommandLine } from "../../lib/cli.js";
import { REPO_ROOT, StackFileError } from "./stack-file.js";

const USAGE =
  "usage: npm run plan -- --stack <name> [--json] [--config-dir <dir holding Pulumi.<name>.yaml>]";

function fail(code: number, message: string): never {
  process.stderr.write(`plan: ${message}\n`);
  process.exit(code);
}

async function main(): Promise<void> {
  const { values } = parseCommandLine({
    name: "plan",
    usage: USAGE,
    options: {
      stack: { type: "string" },
      json: { type: "boolean" },
      // Check a candidate stack file before committing it (default: the repository root).
      "config-dir": { type: "string" },
    },
  });
  if (!values.stack) fail(2, `--stack is required\n${USAGE}`);

  const dir = values["config-dir"] ?? REPO_ROOT;
  const { parseFlatConfig, StackConfigError } = await import("../config.js");
  const { acceptOfflineStandIns } = await import("../placeholders.js");
  const { planConfig, runPlan } = await import("./run-plan.js");
  const { standInNotice } = await import("./overrides.js");
  try {
    // Fail fast, before the Pulumi runtime and the program are loaded; values a human has not filled in
    // yet get the offline stand-ins, and stderr says which.
    const { config, standInsUsed } = planConfig(values.stack, dir);
    acceptOfflineStandIns(true);
    parseFlatConfig(config, values.stack);
    process.stderr.write(standInNotice("plan", values.stack, standInsUsed));
  } catch (err) {
    if (err instanceof StackFileError || err instanceof StackConfigError) fail(2, err.message);
    throw err;
  }

  let result: Awaited<ReturnType<typeof runPlan>>;
  try {
    result = await runPlan(values.stack, dir);
  } catch (err) {
    if (err instanceof StackFileError || err instanceof StackConfigError) fail(2, err.message);
    fail(1, `the program failed for stack "${values.stack}": ${(err as Error).stack ?? err}`);
  }
  const { maskValue, renderTable } = await import("./format.js");
  const text = values.json
    ? `${JSON.stringify(result.document, null, 2)}\n`
    : `${renderTable(result.document)}\n\nOutputs:\n${Object.entries(result.outputs)
        .map(([k, v]) => `  ${k}: ${typeof v === "string" ? v : JSON.stringify(maskValue(v))}`)
        .join("\n")}\n`;
  // The Pulumi runtime keeps handles open; exit once the output is flushed.
  process.stdout.write(text, () => process.exit(0));
}

main().catch((err) => fail(1, String((err as Error).stack ?? err)));
