/**
 * Issue 13 §4, end to end over HTTP (real PostgreSQL, the fake Stripe through the real SDK): the public
 * routes cannot be used for a cheap outage. The success page holds no database connection while Stripe
 * hangs, so 200 concurrent requests with made-up session ids leave validate and heartbeat answering; the
 * limiters hold only validated, bounded keys; every unauthenticated route has a per-client-IP limit.
 */
import { randomBytes } from "node:crypto";
import type { AddressInfo } from "node:net";
import pino from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { waitFor } from "../../test-support/wait.js";
import { createApp } from "../app.js";
import { createPool } from "../db/pool.js";
import { CLIENT_IP_RATE_LIMITS } from "../http/ip-limit.js";
import { type BillingHarness, startBillingHarness } from "../testing/harness.js";

/** The agent gives up on a request after this long (images/agent/config.ts, CODITECT_REQUEST_TIMEOUT_MS). */
const AGENT_REQUEST_TIMEOUT_MS = 10_000;
const SUCCESS_FLOOD = 200;
/** Google's load balancer appends "<client ip>, <load balancer ip>" to X-Forwarded-For (ADR 0146). */
const LOAD_BALANCER_IP = "34.120.0.1";
const viaLoadBalancer = (clientIp: string, spoofed?: string) => ({
  "x-forwarded-for": `${spoofed ? `${spoofed}, ` : ""}${clientIp}, ${LOAD_BALANCER_IP}`,
  via: "1.1 google",
});
const clientIp = (n: number) => `198.51.${Math.floor(n / 250)}.${(n % 250) + 1}`;

async function limiterKeys(h: BillingHarness): Promise<Record<string, number>> {
  const text = await (await fetch(`${h.url}/metrics`)).text();
  const keys: Record<string, number> = {};
  for (const m of text.matchAll(/^billing_rate_limit_keys\{limiter="([^"]+)"\} (\d+)$/gm))
    keys[m[1]!] = Number(m[2]);
  return keys;
}

describe("public endpoints under abuse", () => {
  let h: BillingHarness;
  let licenseKey: string;
  beforeAll(async () => {
    h = await startBillingHarness({ env: { STRIPE_TIMEOUT_SECONDS: "5", STRIPE_MAX_NETWORK_RETRIES: "0" } });
    const res = await h.admin("POST", "/licenses", {
      organization: "abuse-co",
      customerEmail: "ops@abuse.test",
      tier: "enterprise",
      provisioningType: "internal",
      maxContainers: "unlimited",
    });
    expect(res.status).toBe(201);
    licenseKey = ((await res.json()) as { licenseKey: string }).licenseKey;
  });
  afterAll(() => h.stop());

  const validate = (containerId: string, headers: Record<string, string> = {}) =>
    fetch(`${h.url}/v1/sessions/validate`, {
      method: "POST",
      headers: { "content-type": "application/json", ...headers },
      body: JSON.stringify({ licenseKey, containerId, containerType: "docker" }),
      signal: AbortSignal.timeout(AGENT_REQUEST_TIMEOUT_MS),
    });

  it("200 concurrent success requests against a hung Stripe: validate and heartbeat keep answering", async () => {
    const first = await validate("steady-1");
    expect(first.status).toBe(201);
    const { sessionToken } = (await first.json()) as { sessionToken: string };

    h.fake.setFault({ kind: "hang", path: "^/v1/checkout/sessions" });
    const flood = Array.from({ length: SUCCESS_FLOOD }, (_, n) =>
      fetch(`${h.url}/v1/checkout/success?session_id=cs_test_${randomBytes(12).toString("hex")}`, {
        headers: viaLoadBalancer(clientIp(n)),
      }).then(async (res) => ({
        status: res.status,
        code: ((await res.json()) as { error: { code: string } }).error.code,
      })),
    );
    // More requests are waiting on Stripe than the pool has connections (8): on the old code each held one.
    await waitFor("the success requests to reach the hung Stripe", () => h.fake.faultedRequests() > 8);

    const during = await validate("steady-2");
    expect(during.status).toBe(201);
    const heartbeat = await fetch(`${h.url}/v1/sessions/heartbeat`, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${sessionToken}` },
      body: "{}",
      signal: AbortSignal.timeout(AGENT_REQUEST_TIMEOUT_MS),
    });
    expect(heartbeat.status).toBe(200);
    expect(h.fake.faultedRequests()).toBeLessThan(SUCCESS_FLOOD + 1);

    const outcomes = await Promise.all(flood);
    h.fake.setFault(undefined);
    expect(outcomes.filter((o) => o.status !== 503 || o.code !== "payment_provider_unavailable")).toEqual([]);
    expect((await h.pool.query("SELECT count(*)::int AS n FROM licenses")).rows[0].n).toBe(1);
  }, 60_000);

  it("an oversized-key flood leaves nothing in the sessions limiter, and the IP limiter is bounded", async () => {
    const before = await limiterKeys(h);
    const huge = (n: number) => `${n}-${"x".repeat(90_000)}`;
    for (let n = 0; n < 50; n++) {
      const res = await fetch(`${h.url}/v1/sessions/validate`, {
        method: "POST",
        headers: { "content-type": "application/json", ...viaLoadBalancer(clientIp(1000 + n)) },
        body: JSON.stringify({ containerId: huge(n), containerType: "docker", identityToken: "t" }),
      });
      expect(res.status).toBe(400);
      const other = await fetch(`${h.url}/v1/sessions/validate`, {
        method: "POST",
        headers: { "content-type": "application/json", ...viaLoadBalancer(clientIp(1000 + n)) },
        body: JSON.stringify({ licenseKey: huge(n), containerId: "c", containerType: "docker" }),
      });
      expect(other.status).toBe(400);
    }
    const after = await limiterKeys(h);
    // Invalid bodies never reach the per-key limiter; the per-IP limiter holds one short key per address.
    expect(after.sessions_validate).toBe(before.sessions_validate);
    expect(after.client_ip_validate).toBe((before.client_ip_validate ?? 0) + 50);
  }, 60_000);

  it("per-client-IP limits answer 429 with Retry-After on checkout, success, validate and the webhook", async () => {
    const cases = [
      {
        route: "checkout",
        send: (headers: Record<string, string>) =>
          fetch(`${h.url}/v1/checkout`, {
            method: "POST",
            headers: { "content-type": "application/json", ...headers },
            body: JSON.stringify({ organization: "Bad Org" }),
          }),
      },
      {
        route: "success",
        send: (headers: Record<string, string>) =>
          fetch(`${h.url}/v1/checkout/success?session_id=not-a-session`, { headers }),
      },
      {
        route: "validate",
        send: (headers: Record<string, string>) =>
          fetch(`${h.url}/v1/sessions/validate`, {
            method: "POST",
            headers: { "content-type": "application/json", ...headers },
            body: "{}",
          }),
      },
      {
        // Unsigned: the limit holds before the signature check.
        route: "webhook",
        send: (headers: Record<string, string>) =>
          fetch(`${h.url}/v1/webhooks/stripe`, {
            method: "POST",
            headers: { "content-type": "application/json", "stripe-signature": "t=1,v1=00", ...headers },
            body: "{}",
          }),
      },
    ] as const;
    for (const [i, c] of cases.entries()) {
      const attacker = `203.0.113.${i + 1}`;
      const { limit } = CLIENT_IP_RATE_LIMITS[c.route];
      for (let n = 0; n < limit; n++) {
        // The client may put anything in front of X-Forwarded-For; only the load balancer's entry counts.
        const res = await c.send(viaLoadBalancer(attacker, `10.0.${n % 250}.1`));
        expect(res.status, `${c.route} request ${n + 1}`).toBe(400);
      }
      const limited = await c.send(viaLoadBalancer(attacker, "10.9.9.9"));
      expect(limited.status, c.route).toBe(429);
      expect(limited.headers.get("retry-after"), c.route).toMatch(/^\d+$/);
      expect(((await limited.json()) as { error: { code: string } }).error.code).toBe("rate_limited");
      // Another address is not affected.
      expect((await c.send(viaLoadBalancer(`203.0.113.${i + 101}`))).status, c.route).toBe(400);
    }
    // The window ends: the attacker's address may try again.
    h.clock.advance(61_000);
    expect((await cases[0].send(viaLoadBalancer("203.0.113.1"))).status).toBe(400);
  }, 60_000);

  it("an exhausted pool answers the success page 503 with Retry-After (the production pool's timeout)", async () => {
    // The production pool (billing/db/pool.ts, bounded acquisition) with one connection, held here.
    const pool = createPool(String(h.pool.options.connectionString), { max: 1 }, pino({ level: "silent" }));
    const held = await pool.connect();
    const server = createApp({ ...h.deps, db: pool }).listen(0, "127.0.0.1");
    try {
      await new Promise((resolve) => server.once("listening", resolve));
      const { port } = server.address() as AddressInfo;
      const res = await fetch(`http://127.0.0.1:${port}/v1/checkout/success?session_id=cs_test_pool`);
      expect(res.status).toBe(503);
      expect(res.headers.get("retry-after")).toMatch(/^\d+$/);
      expect(((await res.json()) as { error: { code: string } }).error.code).toBe("database_unavailable");
    } finally {
      held.release();
      await new Promise((resolve) => server.close(resolve));
      await pool.end();
    }
  }, 30_000);
});
