/**
 * The `npm run policy` command as a function of its arguments: reads the plan (a resources file or the
 * stack's recorded plan) plus the Kubernetes manifests in the repository, evaluates every policy and
 * returns what to print and the exit code (0 passed, 1 mandatory violation, 2 bad invocation or input).
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { loadPolicyConfig, parseEnforcementFlag, withOverrides } from "./config.js";
import { evaluate } from "./evaluate.js";
import { generatedCustomResources } from "./kubernetes/generated.js";
import { loadManifestResources } from "./kubernetes/manifests.js";
import { type Plan, parsePlanText } from "./plan.js";
import { allPolicies, policyNames } from "./policies.js";
import { renderJson, renderText } from "./report.js";
import { renderRuleTable } from "./rule-table.js";

export const USAGE = `usage: npm run policy -- (--stack <name> | --resources <file.json>) [options]
  --stack <name>            evaluate the stack's plan as \`npm run plan -- --stack <name> --json\` records it
  --resources <file.json>   evaluate a resources file in that same format
  --json                    print the report as JSON
  --enforcement <rule=level>  override a rule's level (advisory | mandatory | disabled); repeatable
  --config <file.json>      per-rule levels and settings (default policy/config.json)
  --manifests <path>        Kubernetes YAML file or directory to check; repeatable
                            (default: crds/ examples/ operator/deploy/ billing/deploy/)
                            plus the custom resources billing generates (policy/kubernetes/generated.ts)
  --no-manifests            check only the plan's resources
  --list                    print the rule table (as in docs/policy.md) and exit`;

/** Where the repository's Kubernetes YAML lives, checked unless --manifests/--no-manifests says otherwise. */
export const DEFAULT_MANIFEST_DIRS = ["crds", "examples", "operator/deploy", "billing/deploy"];

export interface RunResult {
  exitCode: 0 | 1 | 2;
  stdout: string;
  stderr: string;
}

/** Produces a stack's plan; injected so tests can run without the Pulumi program. */
export type StackPlanLoader = (stack: string) => Promise<Plan>;

export interface RunEnvironment {
  /** Repository root: default manifest directories and policy/config.json are resolved against it. */
  root: string;
  loadStackPlan: StackPlanLoader;
}

class UsageError extends Error {}

function parse(argv: readonly string[]) {
  try {
    return parseArgs({
      args: [...argv],
      options: {
        stack: { type: "string" },
        resources: { type: "string" },
        json: { type: "boolean", default: false },
        enforcement: { type: "string", multiple: true, default: [] },
        config: { type: "string" },
        manifests: { type: "string", multiple: true },
        "no-manifests": { type: "boolean", default: false },
        help: { type: "boolean", default: false },
        list: { type: "boolean", default: false },
      },
      strict: true,
      allowPositionals: false,
    }).values;
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
}

async function loadPlan(
  values: ReturnType<typeof parse>,
  env: RunEnvironment,
): Promise<{ plan: Plan; source: string }> {
  if (values.stack !== undefined && values.resources !== undefined) {
    throw new UsageError("give either --stack or --resources, not both");
  }
  if (values.resources !== undefined) {
    let text: string;
    try {
      text = readFileSync(values.resources, "utf8");
    } catch (error) {
      throw new Error(`cannot read resources file ${values.resources}: ${(error as Error).message}`);
    }
    return { plan: parsePlanText(text, values.resources), source: values.resources };
  }
  if (values.stack !== undefined) {
    if (!/^[A-Za-z0-9_.-]+$/.test(values.stack))
      throw new UsageError(`--stack ${JSON.stringify(values.stack)} is not a stack name`);
    return { plan: await env.loadStackPlan(values.stack), source: `stack ${values.stack}` };
  }
  throw new UsageError("nothing to evaluate: give --stack <name> or --resources <file.json>");
}

/** Runs the command; never throws — every failure becomes exit code 2 with a message naming the input. */
export async function runPolicyCommand(argv: readonly string[], env: RunEnvironment): Promise<RunResult> {
  try {
    const values = parse(argv);
    if (values.help) return { exitCode: 0, stdout: `${USAGE}\n`, stderr: "" };
    if (values.list) return { exitCode: 0, stdout: `${renderRuleTable(allPolicies)}\n`, stderr: "" };
    const overrides = (values.enforcement ?? []).map((flag) => parseEnforcementFlag(flag, policyNames));
    const config = withOverrides(
      loadPolicyConfig(values.config ?? join(env.root, "policy", "config.json"), policyNames),
      overrides,
    );
    const { plan, source } = await loadPlan(values, env);
    const manifestPaths = values["no-manifests"]
      ? []
      : (values.manifests ?? DEFAULT_MANIFEST_DIRS.map((dir) => join(env.root, dir)));
    const manifests = values["no-manifests"]
      ? []
      : [...loadManifestResources(manifestPaths, env.root), ...generatedCustomResources()];
    const evaluation = await evaluate(
      { ...plan, resources: [...plan.resources, ...manifests] },
      allPolicies,
      config,
    );
    const label =
      manifests.length > 0 ? `${source} + ${manifests.length} manifest(s) and generated resource(s)` : source;
    return {
      exitCode: evaluation.blocked ? 1 : 0,
      stdout: values.json ? renderJson(evaluation, label) : renderText(evaluation, label),
      stderr: "",
    };
  } catch (error) {
    const message = (error as Error).message;
    const usage = error instanceof UsageError ? `\n${USAGE}` : "";
    return { exitCode: 2, stdout: "", stderr: `policy: ${message}${usage}\n` };
  }
}
