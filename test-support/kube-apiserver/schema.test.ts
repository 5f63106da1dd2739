import { describe, expect, it } from "vitest";
import { widgetSchema } from "./fixtures/helpers.js";
import { applySchema } from "./schema.js";

const schema = widgetSchema();
const base = { apiVersion: "test.coditect.ai/v1", kind: "Widget", metadata: { name: "w" } };
const spec = (s: Record<string, unknown>) => ({
  ...base,
  spec: { tier: "pro", owner: "ops@example.com", ...s },
});
const messages = (obj: unknown, old?: unknown) =>
  applySchema(obj, schema, old).errors.map((e) => `${e.field}: ${e.message}`);

describe("applySchema (structural validation with kube-apiserver wording)", () => {
  it("accepts a valid object and applies defaults", () => {
    const result = applySchema(spec({ count: 3 }), schema, undefined);
    expect(result.errors).toEqual([]);
    expect((result.value as { spec: { mode: string } }).spec.mode).toBe("auto");
  });

  it("reports required fields", () => {
    expect(messages({ ...base, spec: {} })).toEqual([
      "spec.tier: Required value",
      "spec.owner: Required value",
    ]);
    expect(messages(base)).toEqual(["spec: Required value"]);
  });

  it("reports enums with the supported values", () => {
    expect(messages(spec({ tier: "gold" }))).toEqual([
      'spec.tier: Unsupported value: "gold": supported values: "starter", "pro", "enterprise"',
    ]);
  });

  it("reports type errors naming the actual type", () => {
    expect(messages(spec({ count: "3" }))).toEqual([
      'spec.count: Invalid value: "string": spec.count in body must be of type integer: "string"',
    ]);
    expect(messages(spec({ count: 1.5 }))).toEqual([
      'spec.count: Invalid value: "number": spec.count in body must be of type integer: "number"',
    ]);
  });

  it("checks bounds, lengths, patterns and formats", () => {
    expect(messages(spec({ count: 0 }))).toEqual([
      "spec.count: Invalid value: 0: spec.count in body should be greater than or equal to 1",
    ]);
    expect(messages(spec({ count: 11 }))).toEqual([
      "spec.count: Invalid value: 11: spec.count in body should be less than or equal to 10",
    ]);
    expect(messages(spec({ name: "ab" }))).toEqual([
      'spec.name: Invalid value: "ab": spec.name in body should be at least 3 chars long',
    ]);
    expect(messages(spec({ owner: `${"a".repeat(40)}@example.com` }))).toEqual([
      "spec.owner: Too long: may not be more than 40 bytes",
    ]);
    expect(messages(spec({ serial: "ab-12" }))).toEqual([
      "spec.serial: Invalid value: \"ab-12\": spec.serial in body should match '^[A-Z]{2}-[0-9]{4}$'",
    ]);
    expect(messages(spec({ owner: "not-an-email" }))).toEqual([
      'spec.owner: Invalid value: "not-an-email": spec.owner in body must be of type email: "not-an-email"',
    ]);
    expect(messages(spec({ expiresAt: "tomorrow" }))).toEqual([
      'spec.expiresAt: Invalid value: "tomorrow": spec.expiresAt in body must be of type date-time: "tomorrow"',
    ]);
    expect(messages(spec({ expiresAt: "2027-01-01T00:00:00Z" }))).toEqual([]);
  });

  it("checks list sizes and set uniqueness", () => {
    expect(messages(spec({ tags: ["a", "b", "c", "d"] }))).toEqual([
      "spec.tags: Too many: 4: must have at most 3 items",
    ]);
    expect(messages(spec({ tags: ["a", "a"] }))).toEqual(['spec.tags[1]: Duplicate value: "a"']);
  });

  it("allows null only where nullable", () => {
    expect(messages(spec({ ratio: null }))).toEqual([]);
    expect(messages(spec({ name: null }))).toEqual([
      'spec.name: Invalid value: "null": spec.name in body must be of type string: "null"',
    ]);
  });

  it("prunes unknown fields, keeps preserved ones and validates map values", () => {
    const result = applySchema(
      spec({ bogus: 1, extra: { anything: { nested: true } }, labels: { a: "x" } }),
      schema,
      undefined,
    );
    expect(result.errors).toEqual([]);
    expect(result.unknownFields).toEqual(["spec.bogus"]);
    const out = result.value as { spec: Record<string, unknown> };
    expect(out.spec.bogus).toBeUndefined();
    expect(out.spec.extra).toEqual({ anything: { nested: true } });
    expect(messages(spec({ labels: { a: 1 } }))).toEqual([
      'spec.labels[a]: Invalid value: "integer": spec.labels[a] in body must be of type string: "integer"',
    ]);
  });

  it("evaluates CEL rules: comparisons on create, transition rules only on update", () => {
    expect(messages(spec({ min: 5, max: 2 }))).toEqual([
      'spec: Invalid value: "object": max must be at least min',
    ]);
    expect(messages(spec({ min: 2, max: 5 }))).toEqual([]);
    const old = spec({ serial: "AB-1234" });
    expect(messages(spec({ serial: "AB-9999" }))).toEqual([]);
    expect(messages(spec({ serial: "AB-9999" }), old)).toEqual([
      'spec.serial: Invalid value: "string": serial is immutable',
    ]);
    expect(messages(spec({ serial: "AB-1234", count: 2 }), old)).toEqual([]);
  });

  it("skips CEL rules while the structure is invalid, as kube does", () => {
    expect(messages(spec({ min: 5, max: 2, tier: "gold" }))).toEqual([
      'spec.tier: Unsupported value: "gold": supported values: "starter", "pro", "enterprise"',
    ]);
  });
});
