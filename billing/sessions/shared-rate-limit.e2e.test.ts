/**
 * Issue 13 §5 over HTTP: two billing replicas (two apps, each with its own connection pool and metrics) on
 * one PostgreSQL database. With RATE_LIMIT_STORE=postgres the seeds' limits hold across both — 30
 * validates of one key split over the two, the 31st is 429 with Retry-After on either — and so do the
 * per-client-IP limits; a request pays one extra round trip for it; a database that is down answers the
 * usual 503, not 500. With RATE_LIMIT_STORE=memory each replica counts alone (the old behaviour, N×).
 */
import type { AddressInfo, Server } from "node:net";
import pg from "pg";
import pino from "pino";
import { Registry } from "prom-client";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { countingDb } from "../../test-support/counting-db.js";
import { createApp } from "../app.js";
import { createPool } from "../db/pool.js";
import type { BillingDeps } from "../deps.js";
import { CLIENT_IP_RATE_LIMITS } from "../http/ip-limit.js";
import { type BillingHarness, startBillingHarness } from "../testing/harness.js";
import { SESSION_RATE_LIMITS } from "./rate-limit.js";

interface Replica {
  url: string;
  close(): Promise<void>;
}

async function startReplica(deps: BillingDeps, onClose: () => Promise<void>): Promise<Replica> {
  const server: Server = createApp(deps).listen(0, "127.0.0.1");
  await new Promise((resolve) => server.once("listening", resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    async close() {
      await new Promise((resolve) => server.close(resolve));
      await onClose();
    },
  };
}

describe("rate limits shared by two billing replicas on one database", () => {
  let h: BillingHarness;
  let licenseKey: string;
  const replicas: Replica[] = [];
  const pools: pg.Pool[] = [];
  /** A second replica of the same configuration: its own pool, its own metrics, the same database. */
  const replicaOf = async (config: Partial<BillingDeps["config"]> = {}) => {
    const pool = createPool(String(h.pool.options.connectionString), { max: 4 }, pino({ level: "silent" }));
    pools.push(pool);
    const deps = { ...h.deps, db: pool, metrics: new Registry(), config: { ...h.deps.config, ...config } };
    const replica = await startReplica(deps, async () => {});
    replicas.push(replica);
    return replica;
  };

  beforeAll(async () => {
    h = await startBillingHarness();
    expect(h.deps.config.rateLimitStore).toBe("postgres");
    const res = await h.admin("POST", "/licenses", {
      organization: "replica-co",
      customerEmail: "ops@replica.test",
      tier: "enterprise",
      provisioningType: "internal",
      maxContainers: "unlimited",
    });
    expect(res.status).toBe(201);
    licenseKey = ((await res.json()) as { licenseKey: string }).licenseKey;
  });
  afterAll(async () => {
    for (const r of replicas) await r.close();
    for (const p of pools) await p.end();
    await h.stop();
  });

  const validate = (url: string, containerId: string, key = licenseKey) =>
    fetch(`${url}/v1/sessions/validate`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ licenseKey: key, containerId, containerType: "docker" }),
    });
  const heartbeat = (url: string, token: string) =>
    fetch(`${url}/v1/sessions/heartbeat`, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${token}` },
      body: "{}",
    });

  it("30 validates of one key split over two replicas: the 31st is 429 with Retry-After on either", async () => {
    const b = await replicaOf();
    const urls = [h.url, b.url];
    const { limit } = SESSION_RATE_LIMITS.validate;
    for (let n = 0; n < limit; n++) {
      const res = await validate(urls[n % 2]!, `split-${n}`);
      expect(res.status, `validate ${n + 1} on replica ${n % 2}`).toBe(201);
    }
    for (const url of urls) {
      const refused = await validate(url, "one-too-many");
      expect(refused.status).toBe(429);
      expect(refused.headers.get("retry-after")).toMatch(/^[1-9]\d*$/);
      expect(((await refused.json()) as { error: { code: string } }).error.code).toBe("rate_limited");
    }
    // The window ends for everyone at once.
    h.clock.advance(61_000);
    expect((await validate(b.url, "next-minute")).status).toBe(201);
  });

  it("20 heartbeats of one session split over two replicas: the 21st is 429", async () => {
    const b = await replicaOf();
    const started = await validate(b.url, "heartbeating");
    expect(started.status).toBe(201);
    const { sessionToken } = (await started.json()) as { sessionToken: string };
    const urls = [h.url, b.url];
    for (let n = 0; n < SESSION_RATE_LIMITS.heartbeat.limit; n++)
      expect((await heartbeat(urls[n % 2]!, sessionToken)).status, `heartbeat ${n + 1}`).toBe(200);
    const refused = await heartbeat(h.url, sessionToken);
    expect(refused.status).toBe(429);
    expect(refused.headers.get("retry-after")).toMatch(/^[1-9]\d*$/);
  });

  it("a heartbeat the shared window refuses extends nothing, on a replica that never saw the token (ADR 0301)", async () => {
    const started = await validate(h.url, "refused-extends-nothing");
    expect(started.status).toBe(201);
    const { sessionToken, sessionId } = (await started.json()) as { sessionToken: string; sessionId: string };
    for (let n = 0; n < SESSION_RATE_LIMITS.heartbeat.limit; n++)
      expect((await heartbeat(h.url, sessionToken)).status, `heartbeat ${n + 1}`).toBe(200);
    const lastBeat = async () =>
      (
        await h.pool.query<{ at: Date }>(
          "SELECT last_heartbeat_at AS at FROM container_sessions WHERE id = $1",
          [sessionId],
        )
      ).rows[0]!.at.getTime();
    const accepted = await lastBeat();
    h.clock.advance(1_000);
    const fresh = await replicaOf(); // its own window is empty: only the shared count can refuse
    const refused = await heartbeat(fresh.url, sessionToken);
    expect(refused.status).toBe(429);
    expect(((await refused.json()) as { error: { code: string } }).error.code).toBe("rate_limited");
    expect(await lastBeat()).toBe(accepted);
  });

  it("per-client-IP limits hold across replicas too (checkout: 20/min from one address)", async () => {
    const b = await replicaOf();
    const urls = [h.url, b.url];
    const checkout = (url: string) =>
      fetch(`${url}/v1/checkout`, {
        method: "POST",
        headers: { "content-type": "application/json", "x-forwarded-for": "203.0.113.7, 34.120.0.1" },
        body: JSON.stringify({ organization: "Bad Org" }),
      });
    for (let n = 0; n < CLIENT_IP_RATE_LIMITS.checkout.limit; n++)
      expect((await checkout(urls[n % 2]!)).status, `checkout ${n + 1}`).toBe(400);
    const refused = await checkout(b.url);
    expect(refused.status).toBe(429);
    expect(refused.headers.get("retry-after")).toMatch(/^[1-9]\d*$/);
  });

  it("costs one extra round trip per validate and none per heartbeat (counted in its own statement), none once this replica saw the key over the limit", async () => {
    const pool = createPool(String(h.pool.options.connectionString), { max: 2 }, pino({ level: "silent" }));
    pools.push(pool);
    const counted = countingDb(pool);
    const base = { ...h.deps, db: counted.db, metrics: new Registry() };
    const shared = await startReplica(base, async () => {});
    const memory = await startReplica(
      { ...base, metrics: new Registry(), config: { ...h.deps.config, rateLimitStore: "memory" } },
      async () => {},
    );
    replicas.push(shared, memory);
    const cost = async (send: () => Promise<Response>, status: number) => {
      counted.reset();
      expect((await send()).status).toBe(status);
      return counted.statements();
    };
    const withShared = await cost(() => validate(shared.url, "cost-shared"), 201);
    const withMemory = await cost(() => validate(memory.url, "cost-memory"), 201);
    expect(withShared.length).toBe(withMemory.length + 1);
    expect(withShared.filter((s) => s.includes("rate_limit_windows"))).toHaveLength(1);
    expect(withMemory.filter((s) => s.includes("rate_limit_windows"))).toHaveLength(0);

    const token = async (url: string, id: string) =>
      ((await (await validate(url, id)).json()) as { sessionToken: string }).sessionToken;
    const [sharedToken, memoryToken] = [
      await token(shared.url, "hb-shared"),
      await token(memory.url, "hb-memory"),
    ];
    const hbShared = await cost(() => heartbeat(shared.url, sharedToken), 200);
    const hbMemory = await cost(() => heartbeat(memory.url, memoryToken), 200);
    // The heartbeat counts its shared window in its own statement (ADR 0301): no extra round trip at all.
    expect(hbShared.length).toBe(hbMemory.length);
    expect(hbShared.filter((s) => s.includes("rate_limit_windows"))).toHaveLength(1);
    expect(hbMemory.filter((s) => s.includes("rate_limit_windows"))).toHaveLength(0);

    // A flood this replica has itself seen over the limit is refused from its own window: no statement.
    for (let n = 1; n < SESSION_RATE_LIMITS.heartbeat.limit; n++)
      expect((await heartbeat(shared.url, sharedToken)).status).toBe(200);
    for (let n = 0; n < 10; n++)
      expect(await cost(() => heartbeat(shared.url, sharedToken), 429)).toEqual([]);
  });

  it("with RATE_LIMIT_STORE=memory each replica counts alone: two replicas allow twice the limit", async () => {
    const a = await replicaOf({ rateLimitStore: "memory" });
    const b = await replicaOf({ rateLimitStore: "memory" });
    h.clock.advance(61_000);
    const { limit } = SESSION_RATE_LIMITS.validate;
    const statuses: number[] = [];
    for (let n = 0; n < limit + 2; n++)
      statuses.push((await validate([a.url, b.url][n % 2]!, `mem-${n}`)).status);
    expect(statuses.filter((s) => s === 201)).toHaveLength(limit + 2);
  });

  it("a database that is down answers the limited routes 503 with Retry-After, never 500", async () => {
    // Nothing listens on port 1: every connection is refused, as during a Cloud SQL restart.
    const down = new pg.Pool({ connectionString: "postgres://billing@127.0.0.1:1/billing", max: 1 });
    pools.push(down);
    const replica = await startReplica({ ...h.deps, db: down, metrics: new Registry() }, async () => {});
    replicas.push(replica);
    for (const res of [
      await validate(replica.url, "db-down"),
      await heartbeat(replica.url, `cst_${"a".repeat(43)}`),
      await fetch(`${replica.url}/v1/checkout/success?session_id=cs_test_down`),
    ]) {
      expect(res.status).toBe(503);
      expect(res.headers.get("retry-after")).toMatch(/^\d+$/);
      expect(((await res.json()) as { error: { code: string } }).error.code).toBe("database_unavailable");
    }
  });
});
