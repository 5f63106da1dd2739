/**
 * `npm run policy -- --stack prod [--json]` / `npm run policy -- --resources <file.json>`: the I/O shell
 * around runPolicyCommand (run.ts). See docs/policy.md.
 */
import { dirname } from "node:path";
import { fileURLToPath } from "node:url";
import { runPolicyCommand } from "./run.js";
import { loadStackPlan } from "./stack-plan.js";

const root = dirname(dirname(fileURLToPath(import.meta.url)));
const result = await runPolicyCommand(process.argv.slice(2), { root, loadStackPlan });
process.stderr.write(result.stderr);
// The Pulumi runtime (loaded by --stack) keeps handles open: exit explicitly once stdout is flushed.
process.stdout.write(result.stdout, () => process.exit(result.exitCode));
