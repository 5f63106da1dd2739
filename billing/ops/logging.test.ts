/**
 * Billing's log lines as Cloud Logging reads them: real requests through the real app, the lines parsed
 * from what the logger wrote.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { jsonLineSink } from "../../test-support/log-lines.js";
import { type LoggingApp, startLoggingApp } from "./testing.js";

describe("billing log lines", () => {
  const { lines, raw, stream: sink } = jsonLineSink();
  let app: LoggingApp;
  let url: string;
  const adminToken = "logging-test-admin-token-0123456789abcdef";

  beforeAll(async () => {
    app = await startLoggingApp({
      database: "billing_logging",
      adminToken,
      sink,
      env: { GOOGLE_CLOUD_PROJECT: "coditect-prod" },
    });
    url = app.url;
  });
  afterAll(() => app?.stop());

  const requestLine = (requestId: string) =>
    lines.find((l) => l.requestId === requestId && l.message === "request");

  it("every line has severity, time, service and message (never pino's level/msg)", async () => {
    lines.length = 0;
    raw.length = 0;
    await fetch(`${url}/healthz`, { headers: { "x-request-id": "shape-1" } });
    expect(requestLine("shape-1")).toMatchObject({ severity: "INFO", service: "billing", status: 200 });
    for (const line of lines) {
      expect(line).toMatchObject({
        severity: expect.any(String),
        service: "billing",
        message: expect.any(String),
      });
      expect(Date.parse(String(line.time))).not.toBeNaN();
      expect(line).not.toHaveProperty("msg");
      expect(line).not.toHaveProperty("level");
    }
    expect(raw.some((l) => l.startsWith('{"severity":"INFO"'))).toBe(true);
  });

  it("puts the load balancer's X-Cloud-Trace-Context into Cloud Logging's trace fields", async () => {
    await fetch(`${url}/healthz`, {
      headers: {
        "x-request-id": "trace-1",
        "x-cloud-trace-context": "105445aa7843bc8bf206b12000100000/1;o=1",
      },
    });
    expect(requestLine("trace-1")).toMatchObject({
      "logging.googleapis.com/trace": "projects/coditect-prod/traces/105445aa7843bc8bf206b12000100000",
      "logging.googleapis.com/spanId": "0000000000000001",
      "logging.googleapis.com/trace_sampled": true,
    });
  });

  it("prefers W3C traceparent", async () => {
    await fetch(`${url}/healthz`, {
      headers: {
        "x-request-id": "trace-2",
        traceparent: "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-00",
        "x-cloud-trace-context": "105445aa7843bc8bf206b12000100000/1;o=1",
      },
    });
    expect(requestLine("trace-2")).toMatchObject({
      "logging.googleapis.com/trace": "projects/coditect-prod/traces/4bf92f3577b34da6a3ce929d0e0e4736",
      "logging.googleapis.com/spanId": "00f067aa0ba902b7",
      "logging.googleapis.com/trace_sampled": false,
    });
  });

  it.each([
    ["no token", undefined, "missing bearer token"],
    ["a wrong token", "Bearer not-the-admin-token", "wrong bearer token"],
  ])(
    "a failed admin authentication (%s) is a WARNING with the client IP",
    async (_n, authorization, reason) => {
      lines.length = 0;
      const res = await fetch(`${url}/v1/admin/licenses`, {
        headers: { "x-request-id": "auth-1", ...(authorization ? { authorization } : {}) },
      });
      expect(res.status).toBe(401);
      const warning = lines.find((l) => l.message === "admin authentication failed");
      expect(warning).toMatchObject({
        severity: "WARNING",
        service: "billing",
        requestId: "auth-1",
        clientIp: expect.stringMatching(/^(::ffff:)?127\.0\.0\.1$/),
        path: "/v1/admin/licenses",
        reason,
      });
      expect(JSON.stringify(lines)).not.toContain("not-the-admin-token");
    },
  );
});
