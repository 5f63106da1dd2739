/**
 * Per-rule enforcement and settings, in the same JSON shape as Pulumi's `--policy-pack-config` file
 * (`{"<rule>": "advisory"}` or `{"<rule>": {"enforcementLevel": "mandatory", "<setting>": …}}`, plus an
 * optional `"all"` level), so policy/config.json drives both `pulumi preview --policy-pack policy
 * --policy-pack-config policy/config.json` and the offline CLI identically.
 */
import { readFileSync } from "node:fs";
import type { EnforcementLevel } from "@pulumi/policy";

/** The enforcement levels a project config may set (remediation is not used by this pack). */
export const ENFORCEMENT_LEVELS = ["advisory", "mandatory", "disabled"] as const;
export type ConfiguredLevel = (typeof ENFORCEMENT_LEVELS)[number];

export interface PolicyConfig {
  /** Rule name → level overriding the rule's default. */
  enforcement: Record<string, EnforcementLevel>;
  /** Rule name → settings passed to the rule through `args.getConfig()`. */
  settings: Record<string, Record<string, unknown>>;
}

export const EMPTY_CONFIG: PolicyConfig = { enforcement: {}, settings: {} };

function level(value: unknown, where: string): ConfiguredLevel {
  if (typeof value === "string" && (ENFORCEMENT_LEVELS as readonly string[]).includes(value)) {
    return value as ConfiguredLevel;
  }
  throw new Error(
    `${where}: enforcement level ${JSON.stringify(value)} is not one of ${ENFORCEMENT_LEVELS.join(", ")}`,
  );
}

function knownRule(name: string, known: ReadonlySet<string>, where: string): void {
  if (!known.has(name)) {
    throw new Error(
      `${where}: no policy named ${JSON.stringify(name)} (see docs/policy.md for the rule list)`,
    );
  }
}

/** Validates a parsed config object against the pack's rule names. */
export function parsePolicyConfig(value: unknown, source: string, known: ReadonlySet<string>): PolicyConfig {
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw new Error(`${source}: expected an object mapping rule names to levels or settings`);
  }
  const config: PolicyConfig = { enforcement: {}, settings: {} };
  const entries = Object.entries(value as Record<string, unknown>);
  const all = entries.find(([name]) => name === "all");
  if (all) for (const name of known) config.enforcement[name] = level(all[1], `${source} "all"`);
  for (const [name, entry] of entries) {
    if (name === "all") continue;
    knownRule(name, known, source);
    if (typeof entry === "string") {
      config.enforcement[name] = level(entry, `${source} "${name}"`);
    } else if (typeof entry === "object" && entry !== null && !Array.isArray(entry)) {
      const { enforcementLevel, ...settings } = entry as Record<string, unknown>;
      if (enforcementLevel !== undefined)
        config.enforcement[name] = level(enforcementLevel, `${source} "${name}"`);
      if (Object.keys(settings).length > 0) config.settings[name] = settings;
    } else {
      throw new Error(
        `${source} "${name}": expected a level string or an object, got ${JSON.stringify(entry)}`,
      );
    }
  }
  return config;
}

/** Reads and validates a config file. */
export function loadPolicyConfig(path: string, known: ReadonlySet<string>): PolicyConfig {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (error) {
    throw new Error(`cannot read policy config ${path}: ${(error as Error).message}`);
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new Error(`policy config ${path} is not valid JSON: ${(error as Error).message}`);
  }
  return parsePolicyConfig(value, path, known);
}

/** Parses one `--enforcement rule=level` flag value. */
export function parseEnforcementFlag(flag: string, known: ReadonlySet<string>): [string, ConfiguredLevel] {
  const at = flag.indexOf("=");
  if (at <= 0) throw new Error(`--enforcement expects <rule>=<level>, got ${JSON.stringify(flag)}`);
  const name = flag.slice(0, at);
  knownRule(name, known, "--enforcement");
  return [name, level(flag.slice(at + 1), `--enforcement ${name}`)];
}

/** The config with command-line overrides applied on top (command line wins). */
export function withOverrides(
  config: PolicyConfig,
  overrides: ReadonlyArray<[string, ConfiguredLevel]>,
): PolicyConfig {
  return {
    enforcement: { ...config.enforcement, ...Object.fromEntries(overrides) },
    settings: config.settings,
  };
}
