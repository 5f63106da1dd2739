/**
 * Compares the variables a service's code read (recorded by env-probe.mjs) with those its Deployment sets.
 * Pure. Two failure kinds, each naming the variable:
 * - the code reads (or its config module declares) a variable the manifest does not set, and it is not in the
 *   reviewed allow-list;
 * - the manifest sets a variable the code never reads (neither read at run time nor named in the bundle —
 *   a service may copy its whole environment, e.g. `{ ...process.env }`, and read the copy).
 * Only reads from the service's own code count for the first kind: libraries probe many optional variables.
 */
import type { EnvAllowance } from "./env-allow-list.js";
import type { ServiceName } from "./overrides.js";

export interface EnvRead {
  name: string;
  how: "read" | "enumerate";
  present: boolean;
  origin: "app" | "dependency" | "node";
  frame: string;
}

export interface EnvCheckInput {
  service: ServiceName;
  /** Variable names the rendered container sets (env, incl. valueFrom). */
  manifestEnv: string[];
  /** Set by the runtime or the image, not the manifest (HOSTNAME, KUBERNETES_SERVICE_*, NODE_ENV, PATH, HOME). */
  runtimeEnv: string[];
  /** Set only by the rehearsal's overrides (they are the allowed differences). */
  overrideEnv: string[];
  reads: EnvRead[];
  /** The service bundle's source text. */
  bundleText: string;
  allow: EnvAllowance[];
  /**
   * Every variable the service's config module declares it reads (BILLING_ENV_VARIABLES,
   * OPERATOR_ENV_VARIABLES). Checked statically: a service that parses a copy of its environment
   * (`{ ...process.env }`) hides its reads from the probe, but not from its own declaration.
   */
  declared: readonly string[];
}

export function parseEnvReads(jsonl: string): EnvRead[] {
  return jsonl
    .split("\n")
    .filter((l) => l.trim())
    .map((l) => JSON.parse(l) as EnvRead);
}

/**
 * Whether the bundle names the variable: literally, or as the constant prefix of a template literal
 * (`STRIPE_PRICE_${product.toUpperCase()}` names STRIPE_PRICE_STARTER). Pure.
 */
export function namedInBundle(name: string, bundleText: string): boolean {
  if (new RegExp(`\\b${name}\\b`).test(bundleText)) return true;
  for (let i = name.indexOf("_"); i > 0; i = name.indexOf("_", i + 1)) {
    if (bundleText.includes(`\`${name.slice(0, i + 1)}\${`)) return true;
  }
  return false;
}

export function checkEnv(input: EnvCheckInput): string[] {
  const problems: string[] = [];
  const set = new Set([...input.manifestEnv, ...input.runtimeEnv, ...input.overrideEnv]);
  const allowed = new Set(input.allow.filter((a) => a.service === input.service).map((a) => a.variable));
  const reported = new Set<string>();
  for (const read of input.reads) {
    if (read.how !== "read" || read.origin !== "app" || set.has(read.name) || allowed.has(read.name))
      continue;
    if (reported.has(read.name)) continue;
    reported.add(read.name);
    problems.push(
      `${input.service} reads ${read.name} (${read.frame}) but its Deployment does not set it: set it in the manifest, or add it to rehearsal/env-allow-list.ts with the reason its default is right in production`,
    );
  }
  for (const name of input.declared) {
    if (set.has(name) || allowed.has(name) || reported.has(name)) continue;
    reported.add(name);
    problems.push(
      `${input.service} declares ${name} among the variables it reads but its Deployment does not set it: set it in the manifest, or add it to rehearsal/env-allow-list.ts with the reason its default is right in production`,
    );
  }
  const readNames = new Set(input.reads.filter((r) => r.how === "read").map((r) => r.name));
  for (const name of input.manifestEnv) {
    if (readNames.has(name)) continue;
    if (namedInBundle(name, input.bundleText)) continue;
    problems.push(
      `${input.service}'s Deployment sets ${name} but the code never reads it (not read at run time and not named in the bundle): a misspelt or stale variable`,
    );
  }
  return problems;
}
