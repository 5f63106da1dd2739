/**
 * `x-kubernetes-validations` (CEL) rules for the API test server, evaluated with @marcbachmann/cel-js.
 * Supported: `self`, transition rules with `oldSelf` (only evaluated on update when the old value exists,
 * like kube), `message`, `messageExpression`, `reason`, `fieldPath`. Not supported: the Kubernetes CEL
 * library extensions (quantity(), url(), ip(), authz…), cost limits, `optionalOldSelf`.
 */
import { parse } from "@marcbachmann/cel-js";
import type { FieldError } from "./errors.js";
import type { SchemaProps, ValidationRule } from "./types.js";

type Compiled = ReturnType<typeof parse>;
const compiledRules = new Map<string, Compiled>();

function compile(expression: string): Compiled {
  let program = compiledRules.get(expression);
  if (!program) {
    program = parse(expression);
    compiledRules.set(expression, program);
  }
  return program;
}

/** Compiles every rule in a schema; returns `path: message` errors for rules that do not compile. */
export function compileSchemaRules(schema: SchemaProps | undefined, path: string): string[] {
  if (!schema) return [];
  const problems: string[] = [];
  for (const [i, rule] of (schema["x-kubernetes-validations"] ?? []).entries()) {
    try {
      compile(rule.rule);
      if (rule.messageExpression) compile(rule.messageExpression);
    } catch (error) {
      problems.push(
        `${path}.x-kubernetes-validations[${i}].rule: Invalid value: ${JSON.stringify(rule.rule)}: compilation failed: ${(error as Error).message}`,
      );
    }
  }
  for (const [name, child] of Object.entries(schema.properties ?? {})) {
    problems.push(...compileSchemaRules(child, `${path}.properties[${name}]`));
  }
  if (schema.items) problems.push(...compileSchemaRules(schema.items, `${path}.items`));
  if (schema.additionalProperties && typeof schema.additionalProperties === "object") {
    problems.push(...compileSchemaRules(schema.additionalProperties, `${path}.additionalProperties`));
  }
  return problems;
}

/** Converts a JSON value to the CEL value the schema implies (integers become bigint, as CEL `int`). */
export function toCelValue(value: unknown, schema: SchemaProps | undefined): unknown {
  if (value === null || value === undefined) return value;
  if (typeof value === "number") {
    if (schema?.type === "integer" || (schema?.type === undefined && Number.isInteger(value)))
      return BigInt(value);
    return value;
  }
  if (Array.isArray(value)) return value.map((v) => toCelValue(v, schema?.items));
  if (typeof value === "object") {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) {
      const childSchema =
        schema?.properties?.[k] ??
        (typeof schema?.additionalProperties === "object" ? schema.additionalProperties : undefined);
      out[k] = toCelValue(v, childSchema);
    }
    return out;
  }
  return value;
}

function isTransitionRule(rule: ValidationRule): boolean {
  return /\boldSelf\b/.test(rule.rule);
}

/**
 * Evaluates the rules attached to one schema node. `path` is the node's field path (`spec`, `spec.tier`).
 * `hasOld` is false on create and for values that did not exist before.
 */
export function evaluateRules(
  schema: SchemaProps,
  path: string,
  value: unknown,
  old: unknown,
  hasOld: boolean,
): FieldError[] {
  const rules = schema["x-kubernetes-validations"];
  if (!rules || rules.length === 0) return [];
  const errors: FieldError[] = [];
  const self = toCelValue(value, schema);
  for (const rule of rules) {
    if (isTransitionRule(rule) && !hasOld) continue;
    const context = hasOld ? { self, oldSelf: toCelValue(old, schema) } : { self };
    let ok: unknown;
    try {
      ok = compile(rule.rule)(context);
    } catch (error) {
      // kube reports evaluation failures (e.g. no such key) as an invalid value with the runtime error.
      errors.push(
        ruleError(
          schema,
          joinPath(path, rule.fieldPath),
          rule.reason,
          `${rule.rule}: ${(error as Error).message}`,
        ),
      );
      continue;
    }
    if (ok === true) continue;
    let message = rule.message ?? `failed rule: ${rule.rule}`;
    if (rule.messageExpression) {
      try {
        const rendered = compile(rule.messageExpression)(context);
        if (typeof rendered === "string" && rendered.trim() !== "") message = rendered;
      } catch {
        // kube falls back to `message` when messageExpression fails.
      }
    }
    errors.push(ruleError(schema, joinPath(path, rule.fieldPath), rule.reason, message));
  }
  return errors;
}

function joinPath(path: string, fieldPath: string | undefined): string {
  if (!fieldPath) return path;
  const suffix = fieldPath.startsWith(".") ? fieldPath.slice(1) : fieldPath;
  return path ? `${path}.${suffix}` : suffix;
}

function ruleError(
  schema: SchemaProps,
  field: string,
  reason: string | undefined,
  message: string,
): FieldError {
  switch (reason) {
    case "FieldValueForbidden":
      return { reason, field, message: `Forbidden: ${message}` };
    case "FieldValueRequired":
      return { reason, field, message: `Required value: ${message}` };
    case "FieldValueDuplicate":
      return { reason, field, message: `Duplicate value: ${message}` };
    default:
      return {
        reason: "FieldValueInvalid",
        field,
        message: `Invalid value: "${schema.type ?? "object"}": ${message}`,
      };
  }
}
