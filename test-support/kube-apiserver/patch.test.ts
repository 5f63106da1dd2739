import { describe, expect, it } from "vitest";
import { ApiError } from "./errors.js";
import { applyConfiguration, jsonPatch, mergePatch, stripStrategicDirectives } from "./patch.js";

describe("merge patch (RFC 7386)", () => {
  it("merges objects, deletes on null and replaces arrays", () => {
    const target = { a: 1, b: { c: 2, d: 3 }, list: [1, 2] };
    expect(mergePatch(target, { b: { c: null, e: 4 }, list: [9], f: "x" })).toEqual({
      a: 1,
      b: { d: 3, e: 4 },
      list: [9],
      f: "x",
    });
    expect(target).toEqual({ a: 1, b: { c: 2, d: 3 }, list: [1, 2] });
  });
});

describe("JSON patch (RFC 6902)", () => {
  const doc = { spec: { items: ["a", "b"], n: 1 }, "we/ird~key": true };

  it("applies add, replace, remove, move, copy and test without touching the input", () => {
    const out = jsonPatch(doc, [
      { op: "add", path: "/spec/items/1", value: "x" },
      { op: "add", path: "/spec/items/-", value: "z" },
      { op: "replace", path: "/spec/n", value: 2 },
      { op: "remove", path: "/we~1ird~0key" },
      { op: "copy", from: "/spec/n", path: "/spec/m" },
      { op: "move", from: "/spec/m", path: "/spec/k" },
      { op: "test", path: "/spec/k", value: 2 },
    ]);
    expect(out).toEqual({ spec: { items: ["a", "x", "b", "z"], n: 2, k: 2 } });
    expect(doc.spec.items).toEqual(["a", "b"]);
  });

  it("fails with 422 when a path is missing or a test fails, 400 when malformed", () => {
    const code = (ops: unknown) => {
      try {
        jsonPatch(doc, ops);
      } catch (e) {
        return (e as ApiError).code;
      }
      return 0;
    };
    expect(code([{ op: "replace", path: "/spec/missing", value: 1 }])).toBe(422);
    expect(code([{ op: "remove", path: "/spec/items/5" }])).toBe(422);
    expect(code([{ op: "test", path: "/spec/n", value: 5 }])).toBe(422);
    expect(code({ op: "add" })).toBe(400);
    expect(code([{ op: "frobnicate", path: "/a" }])).toBe(400);
    expect(code([{ op: "add", path: "no-slash", value: 1 }])).toBe(400);
  });

  it("throws ApiError instances", () => {
    expect(() => jsonPatch(doc, [{ op: "test", path: "/spec/n", value: 0 }])).toThrow(ApiError);
  });
});

describe("strategic merge patch and apply", () => {
  it("drops $-directives before merging", () => {
    expect(
      stripStrategicDirectives({
        $setElementOrder: [],
        data: { a: "1", $patch: "replace" },
        list: [{ $x: 1, k: 2 }],
      }),
    ).toEqual({
      data: { a: "1" },
      list: [{ k: 2 }],
    });
  });

  it("applies a configuration over the current object, keeping fields it does not mention", () => {
    expect(applyConfiguration({ spec: { a: 1, b: 2 }, status: { s: 1 } }, { spec: { b: 3 } })).toEqual({
      spec: { a: 1, b: 3 },
      status: { s: 1 },
    });
  });
});
