/**
 * Where each per-IP count lives with RATE_LIMIT_STORE=postgres (ADR 0305, ADR 0160), on a real PostgreSQL:
 * the webhook's limit is counted by each replica alone — no statement per delivery, 429 from the 601st
 * delivery of one address on a replica, another replica counting its own — while checkout's stays shared
 * (one UPSERT, and a count another replica made refuses here).
 */
import type { Server } from "node:http";
import type { AddressInfo } from "node:net";
import express from "express";
import pg from "pg";
import { Registry } from "prom-client";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ManualClock } from "../../lib/clock.js";
import { countingDb } from "../../test-support/counting-db.js";
import { fakeStripePriceEnv } from "../../test-support/fake-stripe/index.js";
import { testDatabase } from "../../test-support/postgres/index.js";
import { loadConfig } from "../config.js";
import { migrate } from "../db/migrate.js";
import { errorMiddleware } from "./errors.js";
import { CLIENT_IP_LIMIT_SHARED, CLIENT_IP_RATE_LIMITS, clientIpLimits } from "./ip-limit.js";

describe("per-IP limits: shared or per replica", () => {
  let pool: pg.Pool;
  let databaseUrl: string;
  const clock = new ManualClock("2026-06-01T00:00:00Z");
  const servers: Server[] = [];

  beforeAll(async () => {
    databaseUrl = await testDatabase("ip_limit");
    pool = new pg.Pool({ connectionString: databaseUrl, max: 4 });
    await migrate(pool);
  });
  afterAll(async () => {
    for (const server of servers) await new Promise((resolve) => server.close(resolve));
    await pool.end();
  });

  /** One replica: the middleware in front of routes that answer 204, as the app mounts it. */
  const replica = async () => {
    const counted = countingDb(pool);
    const config = loadConfig({
      STRIPE_SECRET_KEY: "sk_test_limits",
      STRIPE_WEBHOOK_SECRET: "whsec_limits",
      ...fakeStripePriceEnv(),
      ADMIN_TOKEN: "a".repeat(40),
      DATABASE_URL: databaseUrl,
      LOG_LEVEL: "silent",
    });
    expect(config.rateLimitStore).toBe("postgres");
    const app = express();
    app.set("trust proxy", 2);
    app.use(clientIpLimits({ config, db: counted.db, clock, metrics: new Registry() }));
    app.post("/v1/webhooks/stripe", (_req, res) => res.status(204).end());
    app.post("/v1/checkout", (_req, res) => res.status(204).end());
    app.use(errorMiddleware);
    const server = app.listen(0, "127.0.0.1");
    servers.push(server);
    await new Promise((resolve) => server.once("listening", resolve));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const post = (path: string, client: string) =>
      fetch(`${url}${path}`, { method: "POST", headers: { "x-forwarded-for": `${client}, 34.120.0.1` } });
    return { counted, post };
  };

  it("the webhook is counted per replica only; checkout, success and validate stay shared", () => {
    expect(CLIENT_IP_LIMIT_SHARED).toEqual({ checkout: true, success: true, validate: true, webhook: false });
  });

  it("a webhook delivery costs no statement; its address is refused after the limit on that replica alone", async () => {
    const a = await replica();
    const b = await replica();
    const { limit } = CLIENT_IP_RATE_LIMITS.webhook;
    const statuses: number[] = [];
    for (let n = 0; n < limit; n++)
      statuses.push((await a.post("/v1/webhooks/stripe", "198.51.100.7")).status);
    expect(statuses.every((s) => s === 204)).toBe(true);
    const refused = await a.post("/v1/webhooks/stripe", "198.51.100.7");
    expect(refused.status).toBe(429);
    expect(refused.headers.get("retry-after")).toMatch(/^\d+$/);
    expect(((await refused.json()) as { error: { code: string } }).error.code).toBe("rate_limited");
    // Another address on the same replica, and the same address on another replica, are not affected.
    expect((await a.post("/v1/webhooks/stripe", "198.51.100.8")).status).toBe(204);
    expect((await b.post("/v1/webhooks/stripe", "198.51.100.7")).status).toBe(204);
    expect(a.counted.statements()).toEqual([]);
    expect(b.counted.statements()).toEqual([]);
    const rows = await pool.query(
      "SELECT count(*)::int AS n FROM rate_limit_windows WHERE limiter = 'client_ip_webhook'",
    );
    expect(rows.rows[0].n).toBe(0);
  });

  it("checkout still costs one shared UPSERT, and a count made by another replica refuses here", async () => {
    const a = await replica();
    const b = await replica();
    const { limit } = CLIENT_IP_RATE_LIMITS.checkout;
    for (let n = 0; n < limit; n++) expect((await a.post("/v1/checkout", "198.51.100.20")).status).toBe(204);
    expect(a.counted.statements()).toHaveLength(limit);
    expect((await b.post("/v1/checkout", "198.51.100.20")).status).toBe(429);
  });
});
