/**
 * Reads `Pulumi.<stack>.yaml` into the flat `namespace:key → string` map Pulumi hands a program
 * (structured values as JSON text), the same shape `pulumi.runtime.setAllConfig` takes. Pure apart from
 * the file read in `readStackFile`.
 */
import { existsSync, readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { parse } from "yaml";

/** The repository root, where Pulumi.yaml and the stack files live. */
export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");

export const STACK_NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_.-]*$/;

export interface StackFileConfig {
  config: Record<string, string>;
  /** Keys whose value was `{ secure: … }` (encrypted by Pulumi; shown masked, never decrypted here). */
  secretKeys: string[];
}

/** Placeholder given to encrypted values: the plan cannot (and must not) decrypt them. */
export const ENCRYPTED_PLACEHOLDER = "[secret]";

export class StackFileError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "StackFileError";
  }
}

/** Parses the YAML text of a stack file. Throws naming the file and key on malformed content. */
export function parseStackFile(text: string, file: string): StackFileConfig {
  let doc: unknown;
  try {
    doc = parse(text);
  } catch (err) {
    throw new StackFileError(`${file} is not valid YAML: ${(err as Error).message}`);
  }
  if (doc === null || doc === undefined) return { config: {}, secretKeys: [] };
  if (typeof doc !== "object" || Array.isArray(doc))
    throw new StackFileError(`${file} must be a YAML mapping`);
  const section = (doc as Record<string, unknown>).config ?? {};
  if (typeof section !== "object" || section === null || Array.isArray(section)) {
    throw new StackFileError(`${file}: "config" must be a mapping of namespace:key to value`);
  }
  const config: Record<string, string> = {};
  const secretKeys: string[] = [];
  for (const [key, value] of Object.entries(section as Record<string, unknown>)) {
    if (!key.includes(":")) {
      throw new StackFileError(
        `${file}: config key "${key}" must be namespaced, e.g. coditect-control-plane:${key}`,
      );
    }
    if (isSecure(value)) {
      config[key] = ENCRYPTED_PLACEHOLDER;
      secretKeys.push(key);
    } else if (typeof value === "string") {
      config[key] = value;
    } else if (value === null || value === undefined) {
      throw new StackFileError(`${file}: config key "${key}" has no value`);
    } else if (typeof value === "object") {
      config[key] = JSON.stringify(value);
    } else {
      config[key] = String(value);
    }
  }
  return { config, secretKeys };
}

function isSecure(value: unknown): boolean {
  return typeof value === "object" && value !== null && !Array.isArray(value) && "secure" in value;
}

/** Locates and reads `Pulumi.<stack>.yaml` in `dir`; bad names and missing files get actionable messages. */
export function readStackFile(dir: string, stack: string): StackFileConfig {
  if (!STACK_NAME_PATTERN.test(stack)) {
    throw new StackFileError(
      `invalid stack name "${stack}": use letters, digits, "-", "_" or "." (e.g. prod)`,
    );
  }
  const file = path.join(dir, `Pulumi.${stack}.yaml`);
  if (!existsSync(file)) {
    const known = readdirSync(dir)
      .map((f) => /^Pulumi\.(.+)\.yaml$/.exec(f)?.[1])
      .filter((s): s is string => s !== undefined);
    throw new StackFileError(
      `no configuration for stack "${stack}": ${path.basename(file)} does not exist (stacks here: ${known.join(", ") || "none"})`,
    );
  }
  return parseStackFile(readFileSync(file, "utf8"), path.basename(file));
}
