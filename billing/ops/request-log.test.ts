/**
 * The request line (billing/ops/request-log.ts) through the real app: the same fields in the same order
 * whether or not a handler logged through req.log first (the child logger is made on first use, ADR 0307),
 * fields a handler adds (the webhook's event) and a logger a handler assigns (the admin actor) on it.
 */
import type { AddressInfo } from "node:net";
import express from "express";
import { Registry } from "prom-client";
import Stripe from "stripe";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { jsonLineSink } from "../../test-support/log-lines.js";
import { createLogger } from "./logger.js";
import { metricsFor } from "./metrics.js";
import { addRequestLogFields, needsRedaction, requestLogging } from "./request-log.js";
import { type LoggingApp, startLoggingApp } from "./testing.js";

const { lines, raw, stream: sink } = jsonLineSink();
const adminToken = "request-log-test-admin-token-0123456789abcdef";
let app: LoggingApp;
beforeAll(async () => {
  app = await startLoggingApp({
    database: "billing_request_log",
    adminToken,
    sink,
    env: { GOOGLE_CLOUD_PROJECT: "coditect-prod" },
  });
});
afterAll(() => app?.stop());

const linesOf = (requestId: string) => lines.filter((l) => l.requestId === requestId);
const rawRequestLine = (requestId: string) =>
  raw.find((l) => l.includes(`"requestId":"${requestId}"`) && l.endsWith('"message":"request"}'));
const keysOf = (requestId: string) => Object.keys(JSON.parse(rawRequestLine(requestId) ?? "{}"));

const TRACE = { "x-cloud-trace-context": "105445aa7843bc8bf206b12000100000/1;o=1" };
const LINE_KEYS = [
  "severity",
  "time",
  "service",
  "requestId",
  "logging.googleapis.com/trace",
  "logging.googleapis.com/spanId",
  "logging.googleapis.com/trace_sampled",
  "method",
  "path",
  "status",
  "clientIp",
  "ms",
  "message",
];

describe("the request line", () => {
  it("has the same fields in the same order when nothing else was logged and when a handler logged first", async () => {
    await fetch(`${app.url}/healthz?x=1`, { headers: { "x-request-id": "quiet-1", ...TRACE } });
    const refused = await fetch(`${app.url}/v1/checkout`, {
      method: "POST",
      headers: { "x-request-id": "logged-1", "content-type": "application/json", ...TRACE },
      body: "{",
    });
    expect(refused.status).toBe(400);
    expect(keysOf("quiet-1")).toEqual(LINE_KEYS);
    expect(keysOf("logged-1")).toEqual(LINE_KEYS);
    expect(linesOf("quiet-1")).toHaveLength(1);
    expect(linesOf("quiet-1")[0]).toMatchObject({ method: "GET", path: "/healthz", status: 200 });
    // The handler's own line carries the request's fields too (it went through the child logger).
    expect(linesOf("logged-1").map((l) => l.message)).toEqual(["request rejected", "request"]);
    expect(linesOf("logged-1")[0]).toMatchObject({
      "logging.googleapis.com/trace": "projects/coditect-prod/traces/105445aa7843bc8bf206b12000100000",
      code: "malformed_json",
    });
  });

  it("carries a verified webhook's event id, type and outcome: one line per delivery", async () => {
    const payload = JSON.stringify({
      id: "evt_request_log_1",
      object: "event",
      type: "tax_id.created",
      created: Date.parse("2026-01-01T00:00:00Z") / 1000,
      data: { object: { id: "txi_request_log_1", object: "tax_id" } },
    });
    const signature = Stripe.webhooks.generateTestHeaderString({
      payload,
      secret: "whsec_x",
      timestamp: Date.parse("2026-01-01T00:00:00Z") / 1000,
    });
    const res = await fetch(`${app.url}/v1/webhooks/stripe`, {
      method: "POST",
      headers: {
        "x-request-id": "webhook-1",
        "stripe-signature": signature,
        "content-type": "application/json",
      },
      body: payload,
    });
    expect(res.status).toBe(200);
    const outcome = ((await res.json()) as { outcome: string }).outcome;
    expect(linesOf("webhook-1")).toEqual([
      expect.objectContaining({
        message: "request",
        eventId: "evt_request_log_1",
        type: "tax_id.created",
        outcome,
        status: 200,
      }),
    ]);
    expect(keysOf("webhook-1").slice(3, 7)).toEqual(["requestId", "eventId", "type", "outcome"]);
  });

  it("is logged through the logger a handler assigned to req.log (the admin actor)", async () => {
    const res = await fetch(`${app.url}/v1/admin/licenses`, {
      headers: { "x-request-id": "admin-1", authorization: `Bearer ${adminToken}` },
    });
    expect(res.status).toBe(200);
    expect(linesOf("admin-1").find((l) => l.message === "request")).toMatchObject({
      adminCredential: "break-glass",
      status: 200,
      path: "/v1/admin/licenses",
    });
  });
});

describe("redaction of the request line", () => {
  it("leaves out only lines whose fields are all on the allow-list with primitive values", () => {
    expect(needsRedaction({ requestId: "r", eventId: "evt_1", type: "t", outcome: "ignored" })).toBe(false);
    expect(needsRedaction({ requestId: "r", "logging.googleapis.com/trace_sampled": true })).toBe(false);
    expect(needsRedaction({ requestId: "r", key: "secret" })).toBe(true);
    expect(needsRedaction({ requestId: "r", type: { authorization: "Bearer x" } })).toBe(true);
  });

  it("still redacts a field a handler adds that is not on the allow-list", async () => {
    const { lines: own, stream } = jsonLineSink();
    const app = express();
    app.use(requestLogging(createLogger("info", stream), metricsFor(new Registry())));
    app.get("/with-key", (req, res) => {
      addRequestLogFields(req, { licenseKey: "lk_secret_value", eventId: "evt_x" });
      res.json({ ok: true });
    });
    const server = app.listen(0, "127.0.0.1");
    await new Promise((r) => server.once("listening", r));
    try {
      const { port } = server.address() as AddressInfo;
      await fetch(`http://127.0.0.1:${port}/with-key`, { headers: { "x-request-id": "redact-1" } });
      await new Promise((r) => setImmediate(r));
      expect(own.find((l) => l.requestId === "redact-1")).toMatchObject({
        message: "request",
        licenseKey: "[redacted]",
        eventId: "evt_x",
      });
    } finally {
      await new Promise((r) => server.close(r));
    }
  });
});
