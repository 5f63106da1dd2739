/**
 * Config overrides for the offline plan (contract C2): dotted paths under the project namespace
 * (`controlPlane.billingImage`) applied on top of a stack file's flat `namespace:key → text` map, and the
 * choice of which offline stand-ins a stack needs (only the keys it leaves unset: a real value always wins).
 * Pure.
 */
import { decodeConfigValue, PROJECT_NAME } from "../config.js";
import { internalRegistryPrefix, workstationRegistryPrefix } from "../images.js";
import { INTERNAL_REGISTRY_TOKEN, OFFLINE_STAND_INS, WORKSTATION_REGISTRY_TOKEN } from "../placeholders.js";

type Flat = Record<string, string>;

function readPath(flat: Flat, dotted: string): unknown {
  const [top, ...rest] = dotted.split(".");
  const text = flat[`${PROJECT_NAME}:${top}`];
  let value: unknown = text === undefined ? undefined : decodeConfigValue(text);
  for (const part of rest) {
    if (typeof value !== "object" || value === null) return undefined;
    value = (value as Record<string, unknown>)[part];
  }
  return value;
}

/** Returns a copy of `flat` with each override set at its dotted path (objects created as needed). */
export function applyOverrides(flat: Flat, overrides: Record<string, unknown>): Flat {
  const out = { ...flat };
  for (const [dotted, value] of Object.entries(overrides)) {
    const parts = dotted.split(".");
    if (parts.some((p) => p === "")) throw new Error(`override key "${dotted}" is not a dotted config path`);
    const [top, ...rest] = parts as [string, ...string[]];
    const key = `${PROJECT_NAME}:${top}`;
    if (rest.length === 0) {
      out[key] = typeof value === "string" ? value : JSON.stringify(value);
      continue;
    }
    const current = out[key] === undefined ? {} : decodeConfigValue(out[key]!);
    if (typeof current !== "object" || current === null || Array.isArray(current)) {
      throw new Error(`override "${dotted}": ${key} is not an object`);
    }
    let node = current as Record<string, unknown>;
    for (const part of rest.slice(0, -1)) {
      const next = node[part];
      if (typeof next !== "object" || next === null) node[part] = {};
      node = node[part] as Record<string, unknown>;
    }
    node[rest[rest.length - 1]!] = value;
    out[key] = JSON.stringify(current);
  }
  return out;
}

/**
 * The stand-ins `flat` needs: every OFFLINE_STAND_INS key the stack leaves unset, with the internal
 * registry token resolved for this stack (its gcpProject and region).
 */
export function standInsFor(flat: Flat): Record<string, string> {
  const needed: Record<string, string> = {};
  for (const [dotted, value] of Object.entries(OFFLINE_STAND_INS)) {
    if (readPath(flat, dotted) === undefined) needed[dotted] = resolveTokens(flat, value);
  }
  return needed;
}

/** Replaces the registry tokens with this stack's repositories (unchanged when the stack names no project/region). */
function resolveTokens(flat: Flat, value: string): string {
  const project = readPath(flat, "gcpProject");
  const region = readPath(flat, "region");
  if (typeof project !== "string" || typeof region !== "string") return value;
  const location = { gcpProject: project, region };
  return value
    .replace(INTERNAL_REGISTRY_TOKEN, internalRegistryPrefix(location).replace(/\/$/, ""))
    .replace(WORKSTATION_REGISTRY_TOKEN, workstationRegistryPrefix(location).replace(/\/$/, ""));
}

/** Resolves the registry tokens in caller-given overrides (e.g. the rehearsal passing OFFLINE_STAND_INS). */
export function resolveRegistryToken(
  flat: Flat,
  overrides: Record<string, unknown>,
): Record<string, unknown> {
  return Object.fromEntries(
    Object.entries(overrides).map(([k, v]) => [k, typeof v === "string" ? resolveTokens(flat, v) : v]),
  );
}

/** One line for stderr saying which stand-ins a plan used (empty when none). */
export function standInNotice(command: string, stack: string, used: string[]): string {
  if (used.length === 0) return "";
  return (
    `${command}: stack "${stack}" leaves ${used.length} value(s) to a human; planned with offline stand-ins ` +
    `(stacks/placeholders.ts) for: ${used.join(", ")}. A real \`pulumi up\` refuses them.\n`
  );
}
