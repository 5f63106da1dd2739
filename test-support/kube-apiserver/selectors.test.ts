import { describe, expect, it } from "vitest";
import { ApiError } from "./errors.js";
import { matchesFields, matchesLabels, parseFieldSelector, parseLabelSelector } from "./selectors.js";

const labels = { env: "prod", tier: "pro", "app.kubernetes.io/name": "billing", replicas: "3" };
const matches = (selector: string) => matchesLabels(parseLabelSelector(selector), labels);

describe("label selectors", () => {
  it.each([
    ["", true],
    ["env=prod", true],
    ["env==prod", true],
    ["env!=prod", false],
    ["env!=dev", true],
    ["missing!=x", true],
    ["env in (prod, staging)", true],
    ["env in (dev)", false],
    ["env notin (dev,test)", true],
    ["env notin (prod)", false],
    ["missing notin (prod)", true],
    ["missing in (prod)", false],
    ["app.kubernetes.io/name", true],
    ["!app.kubernetes.io/name", false],
    ["!missing", true],
    ["env=prod,tier in (pro,enterprise),!missing", true],
    ["env=prod,tier=starter", false],
    ["replicas>2", true],
    ["replicas<3", false],
  ])("%s → %s", (selector, expected) => {
    expect(matches(selector)).toBe(expected);
  });

  it("rejects malformed selectors with 400 BadRequest", () => {
    for (const bad of ["env=prod,", "bad key=x", "replicas>abc"]) {
      const error = (() => {
        try {
          parseLabelSelector(bad);
        } catch (e) {
          return e;
        }
        return undefined;
      })();
      expect(error, bad).toBeInstanceOf(ApiError);
      expect((error as ApiError).code).toBe(400);
    }
  });
});

describe("field selectors", () => {
  const supported = ["metadata.name", "metadata.namespace", "involvedObject.name"];
  const read = (field: string) =>
    ({ "metadata.name": "a", "metadata.namespace": "ns", "involvedObject.name": "x" })[field] ?? "";

  it("matches = / == / != on supported fields", () => {
    expect(matchesFields(parseFieldSelector("metadata.name=a,metadata.namespace==ns", supported), read)).toBe(
      true,
    );
    expect(matchesFields(parseFieldSelector("involvedObject.name!=x", supported), read)).toBe(false);
  });

  it("rejects unsupported field labels like kube does", () => {
    expect(() => parseFieldSelector("spec.tier=pro", supported)).toThrow(
      "field label not supported: spec.tier",
    );
  });
});
