import { status } from "@grpc/grpc-js";
import { describe, expect, it } from "vitest";
import { classifyStatusCode, GcpError, isGcpError, statusCodeName, toGcpError } from "./errors.js";

describe("classifyStatusCode", () => {
  it.each([
    [status.UNAVAILABLE, "retryable"],
    [status.RESOURCE_EXHAUSTED, "retryable"],
    [status.DEADLINE_EXCEEDED, "retryable"],
    [status.INTERNAL, "retryable"],
    [status.UNKNOWN, "retryable"],
    [status.CANCELLED, "retryable"],
    [status.ABORTED, "conflict"],
    [status.NOT_FOUND, "notFound"],
    [status.ALREADY_EXISTS, "alreadyExists"],
    [status.INVALID_ARGUMENT, "terminal"],
    [status.PERMISSION_DENIED, "terminal"],
    [status.FAILED_PRECONDITION, "terminal"],
    [status.UNAUTHENTICATED, "terminal"],
    [status.UNIMPLEMENTED, "terminal"],
    [99, "retryable"],
  ] as const)("code %i → %s", (code, kind) => {
    expect(classifyStatusCode(code)).toBe(kind);
  });
});

describe("GcpError", () => {
  it("retryable covers transient failures and conflicts, not terminal or not-found", () => {
    const retryable = (code: number) => new GcpError(code, "getWorkstation", "ws", "x").retryable;
    expect(retryable(status.UNAVAILABLE)).toBe(true);
    expect(retryable(status.ABORTED)).toBe(true);
    expect(retryable(status.PERMISSION_DENIED)).toBe(false);
    expect(retryable(status.NOT_FOUND)).toBe(false);
  });

  it("says what failed, on which resource, with the status name", () => {
    const error = new GcpError(
      status.PERMISSION_DENIED,
      "startWorkstation",
      "projects/p/…/workstations/w",
      "denied",
    );
    expect(error.message).toBe(
      "Cloud Workstations startWorkstation on projects/p/…/workstations/w failed: PERMISSION_DENIED: denied",
    );
    expect(error.codeName).toBe("PERMISSION_DENIED");
    expect(statusCodeName(1234)).toBe("CODE_1234");
  });
});

describe("toGcpError", () => {
  it("keeps a gRPC error's code and details and the original as cause", () => {
    const grpcError = Object.assign(new Error("14 UNAVAILABLE: down"), { code: 14, details: "down" });
    const error = toGcpError(grpcError, "getWorkstation", "ws");
    expect(error).toMatchObject({ code: 14, kind: "retryable", detail: "down", cause: grpcError });
  });

  it("treats errors without a gRPC code as UNKNOWN (transient)", () => {
    const error = toGcpError(new TypeError("socket hang up"), "getWorkstation", "ws");
    expect(error).toMatchObject({ code: status.UNKNOWN, kind: "retryable", detail: "socket hang up" });
  });

  it("returns a GcpError unchanged and recognises kinds", () => {
    const original = new GcpError(status.NOT_FOUND, "getOperation", "op", "gone");
    expect(toGcpError(original, "other", "other")).toBe(original);
    expect(isGcpError(original, "notFound")).toBe(true);
    expect(isGcpError(original, "conflict")).toBe(false);
    expect(isGcpError(new Error("x"))).toBe(false);
  });
});
