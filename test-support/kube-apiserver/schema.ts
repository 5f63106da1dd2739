/**
 * Structural-schema handling for custom resources, in kube-apiserver's order: prune unknown fields, apply
 * defaults, validate (types, enums, required, patterns, formats, bounds, list types), then run the
 * `x-kubernetes-validations` rules — only when the structural checks passed, as kube does.
 * Messages follow apiextensions-apiserver's wording (`spec.seats in body should be greater than or equal to 1`).
 */
import { evaluateRules } from "./cel-rules.js";
import { type FieldError, fieldErrors } from "./errors.js";
import type { SchemaProps } from "./types.js";

export interface SchemaResult {
  value: unknown;
  errors: FieldError[];
  /** Paths of fields that were pruned because the schema does not know them. */
  unknownFields: string[];
}

const ROOT_META_FIELDS = new Set(["apiVersion", "kind", "metadata"]);

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === "object" && !Array.isArray(v);
}

function jsonType(v: unknown): string {
  if (v === null) return "null";
  if (Array.isArray(v)) return "array";
  if (typeof v === "number") return Number.isInteger(v) ? "integer" : "number";
  if (typeof v === "object") return "object";
  return typeof v;
}

function childPath(path: string, key: string): string {
  return path ? `${path}.${key}` : key;
}

/** Prunes, defaults and validates a whole custom resource against its version's openAPIV3Schema. */
export function applySchema(obj: unknown, schema: SchemaProps, old: unknown): SchemaResult {
  const state = { errors: [] as FieldError[], unknownFields: [] as string[] };
  const value = walk(obj, schema, "", state, true);
  if (state.errors.length === 0) runRules(value, schema, "", old, old !== undefined, state.errors);
  return { value, errors: state.errors, unknownFields: state.unknownFields };
}

interface WalkState {
  errors: FieldError[];
  unknownFields: string[];
}

function walk(value: unknown, schema: SchemaProps, path: string, state: WalkState, isRoot = false): unknown {
  const { errors } = state;
  if (value === null) {
    if (schema.nullable) return null;
    if (schema["x-kubernetes-preserve-unknown-fields"] && !schema.type) return null;
    errors.push(typeError(path, "null", schema.type ?? "object"));
    return value;
  }
  if (schema["x-kubernetes-int-or-string"]) {
    if (!(typeof value === "string" || (typeof value === "number" && Number.isInteger(value)))) {
      errors.push(typeError(path, jsonType(value), "integer or string"));
      return value;
    }
  } else if (schema.type && !typeMatches(value, schema.type)) {
    errors.push(typeError(path, jsonType(value), schema.type));
    return value;
  }

  if (schema.enum && !schema.enum.some((allowed) => JSON.stringify(allowed) === JSON.stringify(value))) {
    errors.push(fieldErrors.notSupported(path, value, schema.enum));
  }

  if (typeof value === "string") checkString(value, schema, path, errors);
  if (typeof value === "number") checkNumber(value, schema, path, errors);
  if (Array.isArray(value)) return walkArray(value, schema, path, state);
  if (isPlainObject(value)) return walkObject(value, schema, path, state, isRoot);
  return value;
}

function typeMatches(value: unknown, type: string): boolean {
  switch (type) {
    case "object":
      return isPlainObject(value);
    case "array":
      return Array.isArray(value);
    case "string":
      return typeof value === "string";
    case "integer":
      return typeof value === "number" && Number.isInteger(value);
    case "number":
      return typeof value === "number";
    case "boolean":
      return typeof value === "boolean";
    default:
      return true;
  }
}

function typeError(path: string, actual: string, expected: string): FieldError {
  return {
    reason: "FieldValueTypeInvalid",
    field: path,
    message: `Invalid value: "${actual}": ${path} in body must be of type ${expected}: "${actual}"`,
  };
}

const RFC3339 = /^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$/;
const FORMATS: Record<string, (v: string) => boolean> = {
  "date-time": (v) => RFC3339.test(v) && !Number.isNaN(Date.parse(v)),
  date: (v) => /^\d{4}-\d{2}-\d{2}$/.test(v) && !Number.isNaN(Date.parse(v)),
  email: (v) => /^[^@\s]+@[^@\s]+\.[^@\s]+$/.test(v),
  uri: (v) => URL.canParse(v),
  uuid: (v) => /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(v),
  hostname: (v) =>
    /^(?=.{1,253}$)[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?(\.[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?)*$/i.test(v),
  ipv4: (v) => /^(25[0-5]|2[0-4]\d|1?\d?\d)(\.(25[0-5]|2[0-4]\d|1?\d?\d)){3}$/.test(v),
};

function checkString(value: string, schema: SchemaProps, path: string, errors: FieldError[]): void {
  if (schema.maxLength !== undefined && [...value].length > schema.maxLength) {
    errors.push(fieldErrors.tooLong(path, schema.maxLength));
  }
  if (schema.minLength !== undefined && [...value].length < schema.minLength) {
    errors.push(
      fieldErrors.invalid(path, value, `${path} in body should be at least ${schema.minLength} chars long`),
    );
  }
  if (schema.pattern !== undefined && !new RegExp(schema.pattern, "u").test(value)) {
    errors.push(fieldErrors.invalid(path, value, `${path} in body should match '${schema.pattern}'`));
  }
  const check = schema.format ? FORMATS[schema.format] : undefined;
  if (check && !check(value)) {
    errors.push(
      fieldErrors.invalid(
        path,
        value,
        `${path} in body must be of type ${schema.format}: ${JSON.stringify(value)}`,
      ),
    );
  }
}

function checkNumber(value: number, schema: SchemaProps, path: string, errors: FieldError[]): void {
  if (schema.minimum !== undefined) {
    const bad = schema.exclusiveMinimum ? value <= schema.minimum : value < schema.minimum;
    if (bad) {
      const rel = schema.exclusiveMinimum ? "greater than" : "greater than or equal to";
      errors.push(fieldErrors.invalid(path, value, `${path} in body should be ${rel} ${schema.minimum}`));
    }
  }
  if (schema.maximum !== undefined) {
    const bad = schema.exclusiveMaximum ? value >= schema.maximum : value > schema.maximum;
    if (bad) {
      const rel = schema.exclusiveMaximum ? "less than" : "less than or equal to";
      errors.push(fieldErrors.invalid(path, value, `${path} in body should be ${rel} ${schema.maximum}`));
    }
  }
}

function walkArray(value: unknown[], schema: SchemaProps, path: string, state: WalkState): unknown[] {
  const { errors } = state;
  if (schema.minItems !== undefined && value.length < schema.minItems) {
    errors.push(
      fieldErrors.invalid(
        path,
        value.length,
        `${path} in body should have at least ${schema.minItems} items`,
      ),
    );
  }
  if (schema.maxItems !== undefined && value.length > schema.maxItems) {
    errors.push(fieldErrors.tooMany(path, value.length, schema.maxItems));
  }
  const items = schema.items;
  const out = items ? value.map((item, i) => walk(item, items, `${path}[${i}]`, state)) : value;
  const listType = schema["x-kubernetes-list-type"];
  if (listType === "set") {
    const seen = new Set<string>();
    out.forEach((item, i) => {
      const key = JSON.stringify(item);
      if (seen.has(key)) errors.push(fieldErrors.duplicate(`${path}[${i}]`, item));
      seen.add(key);
    });
  } else if (listType === "map") {
    const keys = schema["x-kubernetes-list-map-keys"] ?? [];
    const seen = new Set<string>();
    out.forEach((item, i) => {
      if (!isPlainObject(item)) return;
      const key = JSON.stringify(keys.map((k) => item[k]));
      if (seen.has(key)) {
        errors.push(
          fieldErrors.duplicate(`${path}[${i}]`, Object.fromEntries(keys.map((k) => [k, item[k]]))),
        );
      }
      seen.add(key);
    });
  }
  return out;
}

function walkObject(
  value: Record<string, unknown>,
  schema: SchemaProps,
  path: string,
  state: WalkState,
  isRoot: boolean,
): Record<string, unknown> {
  const { errors } = state;
  const out: Record<string, unknown> = {};
  const properties = schema.properties ?? {};
  const additional = schema.additionalProperties;
  const preserve = schema["x-kubernetes-preserve-unknown-fields"] === true;
  const embedded = schema["x-kubernetes-embedded-resource"] === true;
  for (const [key, child] of Object.entries(value)) {
    const p = childPath(path, key);
    if ((isRoot || embedded) && ROOT_META_FIELDS.has(key)) {
      out[key] = child;
      continue;
    }
    const propSchema = properties[key];
    if (propSchema) {
      out[key] = walk(child, propSchema, p, state);
    } else if (additional && typeof additional === "object") {
      out[key] = walk(child, additional, `${path}[${key}]`, state);
    } else if (preserve || additional === true) {
      out[key] = child;
    } else {
      state.unknownFields.push(p);
    }
  }
  for (const [key, propSchema] of Object.entries(properties)) {
    if (!(key in out) && propSchema.default !== undefined) out[key] = structuredClone(propSchema.default);
    else if (out[key] === null && propSchema.default !== undefined && !propSchema.nullable) {
      out[key] = structuredClone(propSchema.default);
    }
  }
  for (const required of schema.required ?? []) {
    if (!(required in out)) errors.push(fieldErrors.required(childPath(path, required)));
  }
  const count = Object.keys(out).length;
  if (schema.minProperties !== undefined && count < schema.minProperties) {
    errors.push(
      fieldErrors.invalid(
        path,
        count,
        `${path} in body should have at least ${schema.minProperties} properties`,
      ),
    );
  }
  if (schema.maxProperties !== undefined && count > schema.maxProperties) {
    errors.push(fieldErrors.tooMany(path, count, schema.maxProperties));
  }
  return out;
}

/** Runs CEL rules bottom-up over the (already structurally valid) value, correlating old values by key. */
function runRules(
  value: unknown,
  schema: SchemaProps,
  path: string,
  old: unknown,
  hasOld: boolean,
  errors: FieldError[],
): void {
  if (isPlainObject(value)) {
    const oldObject = isPlainObject(old) ? old : undefined;
    for (const [key, child] of Object.entries(value)) {
      const propSchema = schema.properties?.[key];
      const additional =
        typeof schema.additionalProperties === "object" ? schema.additionalProperties : undefined;
      const childSchema = propSchema ?? additional;
      if (!childSchema) continue;
      const p = propSchema ? childPath(path, key) : `${path}[${key}]`;
      runRules(child, childSchema, p, oldObject?.[key], oldObject !== undefined && key in oldObject, errors);
    }
  } else if (Array.isArray(value) && schema.items) {
    // Without list-map correlation kube does not pair old and new items; transition rules on items are skipped.
    for (const [i, item] of value.entries())
      runRules(item, schema.items, `${path}[${i}]`, undefined, false, errors);
  }
  errors.push(...evaluateRules(schema, path, value, old, hasOld));
}
