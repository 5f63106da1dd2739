import { describe, expect, it } from "vitest";
import { evaluateJsonPath, parseJsonPath } from "./jsonpath.js";
import { humanDuration } from "./table.js";

describe("humanDuration (kube's Age column)", () => {
  it.each([
    [-5_000, "<invalid>"],
    [-500, "0s"],
    [0, "0s"],
    [119_000, "119s"],
    [120_000, "2m"],
    [185_000, "3m5s"],
    [600_000, "10m"],
    [179 * 60_000, "179m"],
    [3 * 3_600_000, "3h"],
    [(3 * 60 + 30) * 60_000, "3h30m"],
    [10 * 3_600_000, "10h"],
    [50 * 3_600_000, "2d2h"],
    [72 * 3_600_000, "3d"],
    [30 * 86_400_000, "30d"],
    [3 * 365 * 86_400_000, "3y"],
    [(3 * 365 + 12) * 86_400_000, "3y12d"],
    [10 * 365 * 86_400_000, "10y"],
  ])("%d ms → %s", (ms, expected) => {
    expect(humanDuration(ms)).toBe(expected);
  });
});

describe("printer-column JSONPath", () => {
  const obj = {
    metadata: { name: "a", labels: { "app.kubernetes.io/name": "x" } },
    status: {
      conditions: [
        { type: "Licensed", status: "True" },
        { type: "Ready", status: "False", reason: "Stopped" },
      ],
      counts: [1, 2, 3],
    },
  };
  const at = (path: string) => evaluateJsonPath(parseJsonPath(path), obj);

  it("reads fields, indexes, wildcards, quoted keys and filters", () => {
    expect(at(".metadata.name")).toEqual(["a"]);
    expect(at("{.metadata.name}")).toEqual(["a"]);
    expect(at(".status.counts[1]")).toEqual([2]);
    expect(at(".status.counts[-1]")).toEqual([3]);
    expect(at(".status.counts[*]")).toEqual([1, 2, 3]);
    expect(at(".metadata.labels['app.kubernetes.io/name']")).toEqual(["x"]);
    expect(at('.status.conditions[?(@.type=="Ready")].reason')).toEqual(["Stopped"]);
    expect(at(".status.conditions[?(@.type!='Ready')].type")).toEqual(["Licensed"]);
    expect(at(".spec.missing")).toEqual([]);
  });

  it("rejects syntax it does not support with the expression in the message", () => {
    expect(() => parseJsonPath(".a..b")).toThrow('invalid JSONPath ".a..b"');
    expect(() => parseJsonPath(".a[?(@.x > 1)]")).toThrow("unsupported JSONPath bracket");
  });
});
