import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { jsonLineSink } from "../../test-support/log-lines.js";
import { createLogger } from "./logger.js";
import { routeTemplate } from "./request-log.js";
import { type LoggingApp, startLoggingApp } from "./testing.js";

describe("operations endpoints and logging", () => {
  const { lines, stream: sink } = jsonLineSink();
  let app: LoggingApp;
  let url: string;
  const adminToken = "ops-test-admin-token-0123456789abcdef";

  beforeAll(async () => {
    app = await startLoggingApp({ database: "billing_ops", adminToken, sink });
    url = app.url;
  });
  afterAll(() => app?.stop());

  it("/healthz and /readyz answer; readiness reports the disabled cluster", async () => {
    expect(await (await fetch(`${url}/healthz`)).json()).toEqual({ status: "ok" });
    const ready = await fetch(`${url}/readyz`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toEqual({ status: "ready", checks: { database: "ok", cluster: "disabled" } });
  });

  it("/metrics exposes request latency by route template", async () => {
    await fetch(`${url}/v1/admin/licenses/00000000-0000-4000-8000-000000000000`, {
      headers: { authorization: `Bearer ${adminToken}` },
    });
    const text = await (await fetch(`${url}/metrics`)).text();
    expect(text).toContain(
      'billing_http_request_duration_seconds_count{method="GET",route="/v1/admin/licenses/:id",status="404"} 1',
    );
  });

  it.each([
    ["X-Forwarded-For", { "x-forwarded-for": "203.0.113.7, 34.120.0.1" }],
    ["Via: 1.1 google", { via: "1.1 google" }],
  ])("refuses the admin API and /metrics arriving through the load balancer (%s) as 404", async (_n, lb) => {
    const admin = await fetch(`${url}/v1/admin/licenses`, {
      headers: { authorization: `Bearer ${adminToken}`, ...lb },
    });
    expect(admin.status).toBe(404);
    expect(await admin.json()).toMatchObject({ error: { code: "not_found" } });
    expect((await fetch(`${url}/metrics`, { headers: lb })).status).toBe(404);
    // Customer and probe routes still answer through the load balancer.
    expect((await fetch(`${url}/v1/products`, { headers: lb })).status).toBe(200);
    expect((await fetch(`${url}/healthz`, { headers: lb })).status).toBe(200);
    // …and from inside the cluster the admin API works.
    const inside = await fetch(`${url}/v1/admin/licenses`, {
      headers: { authorization: `Bearer ${adminToken}` },
    });
    expect(inside.status).toBe(200);
  });

  it.each([
    ["/v1/admin/licenses/abc", "/licenses/:id", "/v1/admin/licenses/:id"],
    ["/healthz", "/healthz", "/healthz"],
    ["/v1/checkout/success", "/checkout/success", "/v1/checkout/success"],
    ["/v1/nope", undefined, "unmatched"],
  ])("route template of %s", (path, routePath, expected) => {
    expect(routeTemplate(path, routePath)).toBe(expected);
  });

  it("unknown routes get the shared error shape", async () => {
    const res = await fetch(`${url}/v1/nope`);
    expect(res.status).toBe(404);
    expect(await res.json()).toEqual({ error: { code: "not_found", message: "no route for GET /v1/nope" } });
  });

  it("logs one JSON line per request with the request id, and never the admin token, signature or license key", async () => {
    lines.length = 0;
    await fetch(`${url}/v1/admin/licenses?organization=acme`, {
      headers: { authorization: `Bearer ${adminToken}`, "x-request-id": "req-abc.123" },
    });
    await fetch(`${url}/v1/webhooks/stripe`, {
      method: "POST",
      headers: { "stripe-signature": "t=1,v1=deadbeef", "content-type": "application/json" },
      body: "{}",
    });
    const created = await fetch(`${url}/v1/admin/licenses`, {
      method: "POST",
      headers: { authorization: `Bearer ${adminToken}`, "content-type": "application/json" },
      body: JSON.stringify({
        organization: "acme",
        customerEmail: "a@acme.test",
        tier: "pro",
        provisioningType: "trial",
        durationDays: 7,
      }),
    });
    const { licenseKey } = (await created.json()) as { licenseKey: string };
    const request = lines.find((l) => l.requestId === "req-abc.123" && l.message === "request");
    expect(request).toMatchObject({
      method: "GET",
      path: "/v1/admin/licenses",
      status: 200,
      service: "billing",
    });
    const all = JSON.stringify(lines);
    expect(all).not.toContain(adminToken);
    expect(all).not.toContain("deadbeef");
    expect(all).not.toContain(licenseKey);
    expect(all).not.toContain("organization=acme");
  });

  it("logs the client's address behind the load balancer, not the balancer's (issue 13 L2b)", async () => {
    lines.length = 0;
    // Google's load balancer appends "<client>, <balancer>"; a client-supplied leading entry is not trusted.
    await fetch(`${url}/v1/products`, {
      headers: { "x-forwarded-for": "10.9.9.9, 203.0.113.7, 34.120.0.1", "x-request-id": "req-client-ip" },
    });
    await fetch(`${url}/healthz`, { headers: { "x-request-id": "req-direct" } });
    const viaBalancer = lines.find((l) => l.requestId === "req-client-ip" && l.message === "request");
    expect(viaBalancer).toMatchObject({ path: "/v1/products", clientIp: "203.0.113.7" });
    const direct = lines.find((l) => l.requestId === "req-direct" && l.message === "request");
    expect(direct?.clientIp).toMatch(/^(::ffff:)?127\.0\.0\.1$/);
  });

  it("the logger redacts secrets even when a caller logs them", () => {
    lines.length = 0;
    const logger = createLogger("info", sink);
    logger.info(
      {
        licenseKey: "CODITECT-PRO-SECRET",
        headers: { authorization: "Bearer x", "stripe-signature": "t=1,v1=ab" },
      },
      "oops",
    );
    logger.flush();
    expect(lines.at(-1)).toMatchObject({
      licenseKey: "[redacted]",
      headers: { authorization: "[redacted]", "stripe-signature": "[redacted]" },
    });
  });
});
