import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { GCP_RESOURCE_ID, gcpLabelValue, workstationIdFor, workstationName } from "./naming.js";

describe("workstationIdFor", () => {
  it.each([
    { namespace: "acme", name: "alice", prefix: "acme-alice-" },
    { namespace: "acme", name: "alice.smith", prefix: "acme-alice-smith-" },
    { namespace: "7eleven", name: "bob", prefix: "ws-7eleven-bob-" },
    { namespace: "a", name: "b--c", prefix: "a-b-c-" },
    { namespace: "org-1", name: "x.y.z", prefix: "org-1-x-y-z-" },
  ])("$namespace/$name → $prefix<hash>", ({ namespace, name, prefix }) => {
    const id = workstationIdFor(namespace, name);
    expect(id.startsWith(prefix)).toBe(true);
    expect(id.slice(prefix.length)).toMatch(/^[0-9a-f]{10}$/);
    expect(id).toMatch(GCP_RESOURCE_ID);
  });

  it("is deterministic", () => {
    expect(workstationIdFor("acme", "alice")).toBe(workstationIdFor("acme", "alice"));
  });

  it("keeps pairs apart that read the same after sanitising", () => {
    expect(workstationIdFor("a-b", "c")).not.toBe(workstationIdFor("a", "b-c"));
    expect(workstationIdFor("a", "b.c")).not.toBe(workstationIdFor("a", "b-c"));
  });

  it("truncates long names to 63 characters and keeps them distinct", () => {
    const namespace = "n".repeat(63);
    const first = workstationIdFor(namespace, `${"x".repeat(200)}-1`);
    const second = workstationIdFor(namespace, `${"x".repeat(200)}-2`);
    expect(first).toHaveLength(63);
    expect(first).toMatch(GCP_RESOURCE_ID);
    expect(first).not.toBe(second);
    expect(first.slice(0, 52)).toBe(second.slice(0, 52));
  });

  it("drops a trailing hyphen left by truncation", () => {
    // 52 readable characters ending exactly on a hyphen.
    const id = workstationIdFor("a".repeat(51), "b");
    expect(id).not.toMatch(/--/);
    expect(id).toMatch(GCP_RESOURCE_ID);
  });

  it.each([
    { namespace: "Acme", name: "alice" },
    { namespace: "acme_1", name: "alice" },
    { namespace: "", name: "alice" },
    { namespace: "acme", name: "" },
    { namespace: "acme", name: "Alice" },
    { namespace: "acme", name: "alice/bob" },
    { namespace: "acme", name: "a..b" },
    { namespace: "x".repeat(64), name: "alice" },
  ])("rejects $namespace/$name, naming the bad value", ({ namespace, name }) => {
    expect(() => workstationIdFor(namespace, name)).toThrow(/not a valid Kubernetes/);
  });

  it("always yields a valid GCP id for any valid Kubernetes namespace and name", () => {
    const label = fc.stringMatching(/^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/);
    const subdomain = fc
      .stringMatching(/^[a-z0-9]([a-z0-9.-]{0,120}[a-z0-9])?$/)
      .filter((s) => !s.includes(".."));
    fc.assert(
      fc.property(label, subdomain, (namespace, name) => {
        const id = workstationIdFor(namespace, name);
        expect(id).toMatch(GCP_RESOURCE_ID);
        expect(id.length).toBeLessThanOrEqual(63);
      }),
    );
  });
});

describe("workstationName", () => {
  it("appends the id to the config name", () => {
    expect(workstationName("projects/p/locations/l/workstationClusters/c/workstationConfigs/s", "w")).toBe(
      "projects/p/locations/l/workstationClusters/c/workstationConfigs/s/workstations/w",
    );
  });
});

describe("gcpLabelValue", () => {
  it.each([
    ["alice", "alice"],
    ["alice.smith", "alice_smith"],
    ["Team-A", "team-a"],
    ["a@b.example", "a_b_example"],
    ["x".repeat(70), "x".repeat(63)],
    ["", ""],
  ])("%s → %s", (input, expected) => {
    expect(gcpLabelValue(input)).toBe(expected);
    expect(gcpLabelValue(input)).toMatch(/^[a-z0-9_-]{0,63}$/);
  });
});
