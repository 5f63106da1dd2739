/**
 * The exact response headers billing sends, through the real app: every header name and value but the
 * per-response ones (date, length, request id, ETag, connection). Written before helmet's per-request work
 * was replaced by headers computed once at startup (ADR 0307), so that the set cannot change by accident.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { PAGE_CSP } from "../accounts/pages/page-headers.js";
import { type BillingHarness, startBillingHarness } from "../testing/harness.js";
import { BILLING_HELMET_OPTIONS, recordHelmetHeaders } from "./security-headers.js";

let h: BillingHarness;
beforeAll(async () => {
  h = await startBillingHarness();
});
afterAll(() => h?.stop());

const PER_RESPONSE = new Set(["date", "content-length", "x-request-id", "etag", "connection", "keep-alive"]);

async function headersOf(path: string, init: RequestInit = {}): Promise<Record<string, string>> {
  const res = await fetch(`${h.url}${path}`, { redirect: "manual", ...init });
  await res.arrayBuffer();
  const headers: Record<string, string> = { status: String(res.status) };
  for (const [name, value] of res.headers) if (!PER_RESPONSE.has(name)) headers[name] = value;
  return headers;
}

/** helmet 8's defaults as billing configures them (billing/http/security-headers.ts). */
const SECURITY_HEADERS = {
  "cross-origin-opener-policy": "same-origin",
  "cross-origin-resource-policy": "same-origin",
  "origin-agent-cluster": "?1",
  "referrer-policy": "no-referrer",
  "strict-transport-security": "max-age=31536000; includeSubDomains",
  "x-content-type-options": "nosniff",
  "x-dns-prefetch-control": "off",
  "x-download-options": "noopen",
  "x-frame-options": "SAMEORIGIN",
  "x-permitted-cross-domain-policies": "none",
  "x-xss-protection": "0",
};

const api = (status: number) => ({
  status: String(status),
  ...SECURITY_HEADERS,
  "content-security-policy": "default-src 'none';frame-ancestors 'none'",
  "content-type": "application/json; charset=utf-8",
});

const page = (status: number) => ({
  status: String(status),
  ...SECURITY_HEADERS,
  "cache-control": "no-store",
  "content-security-policy": PAGE_CSP,
  "content-type": "text/html; charset=utf-8",
});

const json = (body: string): RequestInit => ({
  method: "POST",
  headers: { "content-type": "application/json" },
  body,
});

describe("response headers, exactly", () => {
  it.each([
    ["GET /v1/products", "/v1/products", {}, api(200)],
    ["GET /healthz", "/healthz", {}, api(200)],
    ["an unknown path (404)", "/no-such-route", {}, api(404)],
    ["a refused checkout (400)", "/v1/checkout", json("{}"), api(400)],
    ["malformed JSON (400)", "/v1/checkout", json("{"), api(400)],
    ["an unsigned webhook (400)", "/v1/webhooks/stripe", { method: "POST", body: "{}" }, api(400)],
    [
      "an admin route through the load balancer (404)",
      "/v1/admin/licenses",
      { headers: { via: "1.1 google" } },
      api(404),
    ],
    ["an account page", "/account/sign-in", {}, page(200)],
    ["an unknown account page (404)", "/account/no-such-page", {}, page(404)],
  ] as const)("%s", async (_name, path, init, expected) => {
    expect(await headersOf(path, init as RequestInit)).toEqual(expected);
  });

  it("gives the pages' static files the security headers, their CSP, and long caching", async () => {
    const html = await (await fetch(`${h.url}/account/sign-in`)).text();
    const css = /href="(\/account\/static\/account\.css\?v=[\w-]+)"/.exec(html)?.[1];
    expect(css).toBeDefined();
    const headers = await headersOf(css!);
    expect(headers).toMatchObject({
      status: "200",
      ...SECURITY_HEADERS,
      "content-security-policy": PAGE_CSP,
    });
    expect(headers["content-type"]).toMatch(/^text\/css/);
  });
});

describe("recordHelmetHeaders", () => {
  it("records helmet's writes in helmet's order, the CSP first and X-Powered-By removed", () => {
    const writes = recordHelmetHeaders(BILLING_HELMET_OPTIONS);
    expect(writes[0]).toEqual(["Content-Security-Policy", "default-src 'none';frame-ancestors 'none'"]);
    expect(writes).toContainEqual(["X-Powered-By", undefined]);
    expect(writes.filter(([, value]) => value !== undefined)).toHaveLength(
      Object.keys(SECURITY_HEADERS).length + 1,
    );
  });

  it("refuses options whose headers would differ per request (a CSP nonce function)", () => {
    expect(() =>
      recordHelmetHeaders({
        contentSecurityPolicy: { useDefaults: false, directives: { scriptSrc: [() => "'nonce-x'"] } },
      }),
    ).toThrow(/per request/);
  });
});
