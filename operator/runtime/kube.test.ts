import { describe, expect, it } from "vitest";
import { deepEqual, splitKey, topLevelMergePatch } from "./kube.js";

describe("topLevelMergePatch", () => {
  it("carries changed and new keys, nulls removed ones, and ignores key order", () => {
    const before = { state: "STATE_RUNNING", host: "h", conditions: [{ type: "Ready", status: "True" }] };
    const same = { conditions: [{ status: "True", type: "Ready" }], host: "h", state: "STATE_RUNNING" };
    expect(topLevelMergePatch(before, same)).toEqual({});
    expect(
      topLevelMergePatch(before, {
        state: "STATE_STOPPED",
        conditions: before.conditions,
        operation: undefined,
      }),
    ).toEqual({
      state: "STATE_STOPPED",
      host: null,
    });
    expect(topLevelMergePatch(undefined, { state: "NotFound" })).toEqual({ state: "NotFound" });
  });

  it("deepEqual tells arrays from objects and order inside arrays matters", () => {
    expect(deepEqual([1, 2], [2, 1])).toBe(false);
    expect(deepEqual({ a: [1] }, { a: { 0: 1 } })).toBe(false);
    expect(deepEqual({ a: 1, b: undefined }, { a: 1 })).toBe(true);
  });

  it("splitKey rejects a key without a namespace", () => {
    expect(splitKey("ns/name")).toEqual({ namespace: "ns", name: "name" });
    expect(() => splitKey("name")).toThrow(/not namespace\/name/);
  });
});
