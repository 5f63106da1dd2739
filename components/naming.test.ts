import { describe, expect, it } from "vitest";
import { assertNoPublicMembers } from "./iam-members.js";
import { childName, gcpResourceId, serviceAccountId, standardLabels } from "./naming.js";

describe("naming", () => {
  it("derives child names from the component name", () => {
    expect(childName("coditect-registry", "pro")).toBe("coditect-registry-pro");
  });

  it("normalizes resource ids to RFC 1035 labels", () => {
    expect(gcpResourceId(["Coditect", "WS_cluster", "--x"])).toBe("coditect-ws-cluster-x");
    expect(() => gcpResourceId(["1abc"])).toThrow(/must start with a letter/);
  });

  it("shortens long ids deterministically and keeps them distinct", () => {
    const a = gcpResourceId(["coditect", "a".repeat(80)]);
    const b = gcpResourceId(["coditect", "b".repeat(80)]);
    expect(a.length).toBeLessThanOrEqual(63);
    expect(a).toBe(gcpResourceId(["coditect", "a".repeat(80)]));
    expect(a).not.toBe(b);
  });

  it("enforces service-account id length", () => {
    expect(serviceAccountId(["coditect-image-builder"])).toBe("coditect-image-builder");
    expect(serviceAccountId(["coditect", "x".repeat(40)]).length).toBeLessThanOrEqual(30);
    expect(() => serviceAccountId(["abc"])).toThrow(/shorter than 6/);
  });

  it("labels resources with system, component and environment", () => {
    expect(standardLabels("Workstation Fleet", "prod")).toEqual({
      system: "coditect",
      component: "workstation-fleet",
      environment: "prod",
      "managed-by": "pulumi",
    });
  });

  it("refuses public principals", () => {
    expect(() => assertNoPublicMembers(["serviceAccount:a@b", "allUsers"], "readers")).toThrow(
      /readers must not contain public principals \(allUsers\)/,
    );
    expect(() => assertNoPublicMembers(["allAuthenticatedUsers"], "x")).toThrow(/allAuthenticatedUsers/);
    expect(() => assertNoPublicMembers(["group:ops@coditect.ai"], "x")).not.toThrow();
  });
});
