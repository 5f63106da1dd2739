/**
 * Offline CrossGuard evaluator: runs the pack's policies over a recorded plan the way the Pulumi engine's
 * analyzer would (one `validateResource` call per policy × resource, `validateStack` once with every
 * resource), with hand-built args. `args.notApplicable()` throws, as in the real server, and is caught
 * here. Needs neither the Pulumi CLI nor a cloud account, so it runs in CI.
 */
import type {
  EnforcementLevel,
  PolicyResource,
  PolicyResourceOptions,
  ResourceValidationArgs,
  ResourceValidationPolicy,
  Severity,
  StackValidationArgs,
} from "@pulumi/policy";
import type { PolicyConfig } from "./config.js";
import type { Plan, PlanResource } from "./plan.js";
import { type CoditectPolicy, isStackPolicy } from "./types.js";

/** One violation, with everything the CLI prints and the reviewer needs. */
export interface Finding {
  policy: string;
  enforcementLevel: EnforcementLevel;
  severity: Severity;
  anchor: string | undefined;
  /** The resource in violation; undefined when a stack policy blames the stack as a whole. */
  urn: string | undefined;
  resourceType: string | undefined;
  message: string;
  remediation: string;
}

export interface Evaluation {
  findings: Finding[];
  /** Policies that ran (disabled ones are skipped). */
  policiesRun: number;
  resources: number;
  /** True when at least one finding is mandatory: the run must fail. */
  blocked: boolean;
}

/** Thrown by `args.notApplicable()`, exactly like the Pulumi policy server's own sentinel. */
class NotApplicableError extends Error {
  constructor(readonly reason: string | undefined) {
    super(reason ?? "not applicable");
  }
}

type PulumiClass = { __pulumiType?: unknown };

function typeOf(resourceClass: unknown): string | undefined {
  const token = (resourceClass as PulumiClass | undefined)?.__pulumiType;
  return typeof token === "string" ? token : undefined;
}

function optionsFor(resource: PlanResource): PolicyResourceOptions {
  return {
    protect: resource.protect === true,
    ignoreChanges: [],
    aliases: [],
    customTimeouts: { createSeconds: 0, updateSeconds: 0, deleteSeconds: 0 },
    additionalSecretOutputs: [],
    ...(resource.parent ? { parent: resource.parent } : {}),
  };
}

function notApplicable(reason?: string): never {
  throw new NotApplicableError(reason);
}

/** The config a policy sees through `args.getConfig()`: schema defaults overlaid with the config file. */
function configFor(policy: CoditectPolicy, config: PolicyConfig): Record<string, unknown> {
  const defaults: Record<string, unknown> = {};
  for (const [key, schema] of Object.entries(policy.configSchema?.properties ?? {})) {
    if (schema.default !== undefined) defaults[key] = structuredClone(schema.default);
  }
  return { ...defaults, ...(config.settings[policy.name] ?? {}) };
}

function resourceArgs(resource: PlanResource, policyConfig: Record<string, unknown>): ResourceValidationArgs {
  return {
    type: resource.type,
    props: resource.inputs,
    urn: resource.urn,
    name: resource.name,
    opts: optionsFor(resource),
    stackTags: new Map(),
    isType: (resourceClass) => typeOf(resourceClass) === resource.type,
    asType: (resourceClass) =>
      typeOf(resourceClass) === resource.type ? (resource.inputs as never) : undefined,
    getConfig: <T extends object>() => policyConfig as T,
    notApplicable,
  };
}

/** Resolves parents and dependencies so stack policies can walk the resource graph. */
function stackResources(plan: Plan): PolicyResource[] {
  const byUrn = new Map<string, PolicyResource>();
  for (const resource of plan.resources) {
    byUrn.set(resource.urn, {
      type: resource.type,
      props: resource.inputs,
      urn: resource.urn,
      name: resource.name,
      opts: optionsFor(resource),
      dependencies: [],
      propertyDependencies: {},
      isType: (resourceClass) => typeOf(resourceClass) === resource.type,
      asType: (resourceClass) =>
        typeOf(resourceClass) === resource.type ? (resource.inputs as never) : undefined,
    });
  }
  for (const resource of plan.resources) {
    const entry = byUrn.get(resource.urn)!;
    const parent = resource.parent ? byUrn.get(resource.parent) : undefined;
    if (parent) entry.parent = parent;
    entry.dependencies = resource.dependencies.flatMap((urn) => byUrn.get(urn) ?? []);
  }
  return [...byUrn.values()];
}

function validationsOf(policy: ResourceValidationPolicy) {
  const validate = policy.validateResource;
  return validate === undefined ? [] : Array.isArray(validate) ? validate : [validate];
}

async function runGuarded(policyName: string, where: string, run: () => Promise<void> | void): Promise<void> {
  try {
    await run();
  } catch (error) {
    if (error instanceof NotApplicableError) return;
    throw new Error(`policy ${policyName} crashed on ${where}: ${(error as Error).message}`, {
      cause: error,
    });
  }
}

/**
 * Evaluates `policies` over `plan`. A policy that throws (other than not-applicable) is a bug in the
 * policy and aborts the run with its name and the resource, rather than passing silently.
 */
export async function evaluate(
  plan: Plan,
  policies: readonly CoditectPolicy[],
  config: PolicyConfig,
): Promise<Evaluation> {
  const findings: Finding[] = [];
  let policiesRun = 0;
  const resources = stackResources(plan);
  for (const policy of policies) {
    const enforcementLevel = config.enforcement[policy.name] ?? policy.enforcementLevel;
    if (enforcementLevel === "disabled") continue;
    policiesRun++;
    const settings = configFor(policy, config);
    const record =
      (resource: PlanResource | undefined) =>
      (message: string, urn?: string): void => {
        const blamed = urn ?? resource?.urn;
        findings.push({
          policy: policy.name,
          enforcementLevel,
          severity: policy.severity,
          anchor: policy.anchor,
          urn: blamed,
          resourceType: resource?.type ?? plan.resources.find((r) => r.urn === blamed)?.type,
          message,
          remediation: policy.remediationSteps,
        });
      };
    if (isStackPolicy(policy)) {
      const args: StackValidationArgs = {
        resources,
        stackTags: new Map(),
        getConfig: <T extends object>() => settings as T,
        notApplicable,
      };
      await runGuarded(policy.name, `stack ${plan.stack}`, () =>
        policy.validateStack(args, record(undefined)),
      );
      continue;
    }
    for (const validate of validationsOf(policy)) {
      // The real server skips a validation whose __pulumiType differs before calling it; so do we.
      const onlyType = typeOf(validate);
      for (const resource of plan.resources) {
        if (onlyType !== undefined && onlyType !== resource.type) continue;
        const args = resourceArgs(resource, settings);
        await runGuarded(policy.name, resource.urn, () => validate(args, record(resource)));
      }
    }
  }
  return {
    findings,
    policiesRun,
    resources: plan.resources.length,
    blocked: findings.some((finding) => finding.enforcementLevel === "mandatory"),
  };
}
