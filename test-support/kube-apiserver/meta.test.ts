import { describe, expect, it } from "vitest";
import {
  canonicalJson,
  generateName,
  kubeTimestamp,
  sameContent,
  specFingerprint,
  validateMetadata,
  validateName,
} from "./meta.js";
import type { KubeObject } from "./types.js";

describe("object metadata rules", () => {
  it("validates names as DNS-1123 subdomains, or labels for namespaces", () => {
    expect(validateName("lic-1.acme", false)).toEqual([]);
    expect(validateName("lic-1.acme", true)).toHaveLength(1);
    expect(validateName("Bad_Name", false)[0]).toMatchObject({
      field: "metadata.name",
      reason: "FieldValueInvalid",
    });
    expect(validateName("a".repeat(64), true)).toHaveLength(1);
    expect(validateName("a".repeat(253), false)).toEqual([]);
    expect(validateName("a".repeat(254), false)).toHaveLength(1);
  });

  it("generates names like kube's SimpleNameGenerator", () => {
    expect(generateName("ws-")).toMatch(/^ws-[bcdfghjklmnpqrstvwxz2456789]{5}$/);
    expect(generateName("x".repeat(80))).toHaveLength(63);
  });

  it("checks label and annotation shapes", () => {
    expect(validateMetadata({ labels: { "coditect.ai/org": "acme" }, annotations: { a: "b" } })).toEqual([]);
    expect(validateMetadata({ labels: { env: "has space" } })).toHaveLength(1);
    expect(validateMetadata({ labels: { "bad key!": "x" } })).toHaveLength(1);
    expect(validateMetadata({ annotations: { a: 1 as unknown as string } })).toHaveLength(1);
    expect(validateMetadata({ finalizers: "x" as unknown as string[] })).toHaveLength(1);
  });

  it("writes timestamps with second precision", () => {
    expect(kubeTimestamp(new Date("2026-01-02T03:04:05.678Z"))).toBe("2026-01-02T03:04:05Z");
  });
});

describe("change detection", () => {
  const a: KubeObject = {
    apiVersion: "v1",
    kind: "X",
    metadata: { name: "a", resourceVersion: "1" },
    spec: { x: 1, y: [1, { b: 2, a: 1 }] },
    status: { s: 1 },
  };
  const reordered: KubeObject = {
    kind: "X",
    apiVersion: "v1",
    status: { s: 1 },
    spec: { y: [1, { a: 1, b: 2 }], x: 1 },
    metadata: { resourceVersion: "7", name: "a" },
  };

  it("treats reordered keys as the same content and ignores resourceVersion", () => {
    expect(canonicalJson({ b: 1, a: [2, { d: 1, c: 2 }] })).toBe('{"a":[2,{"c":2,"d":1}],"b":1}');
    expect(sameContent(a, reordered)).toBe(true);
    expect(sameContent(a, { ...reordered, spec: { x: 2, y: [] } })).toBe(false);
  });

  it("fingerprints spec-like content, with or without status", () => {
    expect(specFingerprint(a, true)).toBe(specFingerprint(reordered, true));
    expect(specFingerprint(a, true)).toBe(specFingerprint({ ...a, status: { s: 2 } }, true));
    expect(specFingerprint(a, false)).not.toBe(specFingerprint({ ...a, status: { s: 2 } }, false));
    expect(specFingerprint(a, true)).toBe(
      specFingerprint({ ...a, metadata: { name: "a", labels: { l: "1" } } }, true),
    );
  });
});
