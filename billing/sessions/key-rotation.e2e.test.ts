/**
 * Issue 13 §8 over HTTP: rotating a license key through the admin API ends every container session that
 * was validated with the old key — in Postgres, on the ContainerSession resources (Kubernetes API test
 * server) and for the agents, whose next heartbeat is refused — while the new key validates.
 */
import { randomUUID } from "node:crypto";
import type { AddressInfo } from "node:net";
import { CustomObjectsApi, type KubeConfig } from "@kubernetes/client-node";
import express from "express";
import pg from "pg";
import { pino } from "pino";
import { Registry } from "prom-client";
import Stripe from "stripe";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type ContainerSession, ContainerSessionResource } from "../../crds/types.js";
import { ManualClock } from "../../lib/clock.js";
import type { KubeConnection } from "../../lib/kube/connection.js";
import { generateSigningKey } from "../../lib/offline-tokens/index.js";
import { fakeStripePriceEnv } from "../../test-support/fake-stripe/index.js";
import { type KubeApiServer, startKubeApiServer } from "../../test-support/kube-apiserver/index.js";
import { testDatabase } from "../../test-support/postgres/index.js";
import { waitFor } from "../../test-support/wait.js";
import { adminRouter } from "../admin/router.js";
import { KubeClusterFeed } from "../cluster/feed.js";
import { loadConfig } from "../config.js";
import { migrate } from "../db/migrate.js";
import { withTransaction } from "../db/tx.js";
import type { BillingDeps } from "../deps.js";
import { errorMiddleware, notFoundHandler } from "../http/errors.js";
import { hashLicenseKey } from "../licenses/keys.js";
import { testServerConnection } from "../testing/kube-connection.js";
import { KubeSessionCluster } from "./cluster.js";
import { endKeyBoundSessions, KEY_ROTATED_REASON } from "./key-rotation.js";
import { sessionsRouter } from "./router.js";
import { insertSession, type SessionRow } from "./store.js";

const ADMIN_TOKEN = "k".repeat(40);
const clock = new ManualClock("2026-04-01T09:00:00Z");
let kube: KubeApiServer;
let kc: KubeConfig;
/** Billing's own client connects with this (kc stays the independent client-node reader). */
let conn: KubeConnection;
let pool: pg.Pool;
let url: string;
let close: () => Promise<void>;

beforeAll(async () => {
  kube = await startKubeApiServer({ crdDirs: ["crds"] });
  kc = kube.kubeConfig();
  conn = testServerConnection(kube);
  pool = new pg.Pool({ connectionString: await testDatabase("key_rotation"), max: 10 });
  await migrate(pool);
  const logger = pino({ level: process.env.DEBUG_LOG ? "debug" : "silent" });
  const config = loadConfig({
    STRIPE_SECRET_KEY: "sk_test_rotation",
    STRIPE_WEBHOOK_SECRET: "whsec_rotation",
    ...fakeStripePriceEnv(),
    ADMIN_TOKEN,
    DATABASE_URL: "postgres://unused/unused",
  });
  const deps: BillingDeps = {
    config,
    db: pool,
    stripe: new Stripe("sk_test_rotation"),
    clock,
    logger,
    kube: new KubeClusterFeed(conn, pool, logger),
    metrics: new Registry(),
  };
  const app = express();
  app.use(express.json());
  // billing/app.ts's request logger gives every request `req.log`; the admin authentication logs through it.
  app.use((req, _res, next) => {
    req.log = logger;
    next();
  });
  app.use("/v1/admin", adminRouter(deps, { sessionCluster: new KubeSessionCluster(conn) }));
  app.use(
    sessionsRouter(deps, {
      cluster: new KubeSessionCluster(conn),
      keySet: { current: await generateSigningKey("rotation-test") },
    }),
  );
  app.use(notFoundHandler);
  app.use(errorMiddleware);
  const server = app.listen(0, "127.0.0.1");
  await new Promise<void>((resolve) => server.once("listening", () => resolve()));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  close = async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  };
});
afterAll(async () => {
  await close?.();
  await pool?.end();
  await kube?.stop();
});

// biome-ignore lint/suspicious/noExplicitAny: response bodies are arbitrary JSON the tests assert on
async function call(path: string, body: unknown, auth?: string): Promise<{ status: number; body: any }> {
  const response = await fetch(`${url}${path}`, {
    method: "POST",
    headers: { "content-type": "application/json", ...(auth ? { authorization: `Bearer ${auth}` } : {}) },
    body: JSON.stringify(body),
  });
  return { status: response.status, body: await response.json() };
}

const validate = (licenseKey: string, containerId: string) =>
  call("/v1/sessions/validate", { licenseKey, containerId, containerType: "docker" });

async function sessionResource(namespace: string, sessionId: string): Promise<ContainerSession> {
  return (await kc.makeApiClient(CustomObjectsApi).getNamespacedCustomObject({
    group: ContainerSessionResource.group,
    version: ContainerSessionResource.version,
    plural: ContainerSessionResource.plural,
    namespace,
    name: `cs-${sessionId}`,
  })) as ContainerSession;
}

describe("rotating a license key", () => {
  it("ends every session validated with the old key at once; the new key validates", async () => {
    const created = await call(
      "/v1/admin/licenses",
      {
        organization: "rotate-co",
        customerEmail: "ops@rotate.test",
        tier: "pro",
        provisioningType: "pilot",
        durationDays: 30,
      },
      ADMIN_TOKEN,
    );
    expect(created.status).toBe(201);
    const licenseId = created.body.license.id as string;
    const oldKey = created.body.licenseKey as string;
    const a = await validate(oldKey, "box-a");
    const b = await validate(oldKey, "box-b");
    expect([a.status, b.status]).toEqual([201, 201]);
    expect((await sessionResource("rotate-co", a.body.sessionId)).status?.state).toBe("active");

    const rotated = await call(
      `/v1/admin/licenses/${licenseId}/rotate-key`,
      { reason: "key posted in a public repository" },
      ADMIN_TOKEN,
    );
    expect(rotated.status).toBe(200);
    expect(rotated.body.endedSessions).toBe(2);
    const newKey = rotated.body.licenseKey as string;
    expect(newKey).not.toBe(oldKey);

    // The agents' next heartbeat (their old session tokens) is refused: told to stop, no offline token.
    for (const session of [a, b]) {
      const beat = await call("/v1/sessions/heartbeat", {}, session.body.sessionToken);
      expect(beat.status).toBe(200);
      expect(beat.body).toMatchObject({ status: "expired", gracePeriodRemaining: 0 });
      expect(beat.body.message).toContain(KEY_ROTATED_REASON);
      expect(beat.body.offlineToken).toBeUndefined();
      const resource = await sessionResource("rotate-co", session.body.sessionId);
      expect(resource.status).toMatchObject({ state: "terminated", reason: KEY_ROTATED_REASON });
    }
    const rows = await pool.query(
      "SELECT state, reason FROM container_sessions WHERE license_id = $1 ORDER BY container_id",
      [licenseId],
    );
    expect(rows.rows).toEqual([
      { state: "terminated", reason: KEY_ROTATED_REASON },
      { state: "terminated", reason: KEY_ROTATED_REASON },
    ]);

    // The old key no longer validates; the new one does, and takes a seat the old sessions freed.
    const stale = await validate(oldKey, "box-c");
    expect(stale.status).toBe(403);
    expect(stale.body.error.code).toBe("license_invalid");
    const fresh = await validate(newKey, "box-a");
    expect(fresh.status).toBe(201);
    expect((await call("/v1/sessions/heartbeat", {}, fresh.body.sessionToken)).body.status).toBe("ok");

    // The audit log has the rotation with the number of sessions it ended, and the ended sessions.
    const audit = await pool.query(
      `SELECT action, actor, details FROM audit_events WHERE license_id = $1
        AND action IN ('license.key_rotated', 'session.terminated') ORDER BY id`,
      [licenseId],
    );
    expect(audit.rows).toEqual([
      {
        action: "session.terminated",
        actor: expect.any(String),
        details: {
          sessionIds: expect.arrayContaining([a.body.sessionId, b.body.sessionId]),
          count: 2,
        },
      },
      {
        action: "license.key_rotated",
        actor: expect.any(String),
        details: { reason: "key posted in a public repository", endedSessions: 2 },
      },
    ]);
    expect(audit.rows[0].actor).toBe(audit.rows[1].actor);
  });

  it("refuses a bad rotation request with a 4xx and ends nothing", async () => {
    const created = await call(
      "/v1/admin/licenses",
      {
        organization: "keep-co",
        customerEmail: "ops@keep.test",
        tier: "pro",
        provisioningType: "pilot",
        durationDays: 30,
      },
      ADMIN_TOKEN,
    );
    const key = created.body.licenseKey as string;
    const live = await validate(key, "keeper");
    expect(live.status).toBe(201);
    const missingReason = await call(
      `/v1/admin/licenses/${created.body.license.id}/rotate-key`,
      {},
      ADMIN_TOKEN,
    );
    expect(missingReason.status).toBe(400);
    const unknown = await call(`/v1/admin/licenses/${randomUUID()}/rotate-key`, { reason: "x" }, ADMIN_TOKEN);
    expect(unknown.status).toBe(404);
    expect((await call("/v1/sessions/heartbeat", {}, live.body.sessionToken)).body.status).toBe("ok");
    expect((await validate(key, "keeper-2")).status).toBe(201);
  });

  it("a validate that looked up the old key just before a rotation committed is refused, not admitted after it", async () => {
    const created = await call(
      "/v1/admin/licenses",
      {
        organization: "race-co",
        customerEmail: "ops@race.test",
        tier: "pro",
        provisioningType: "pilot",
        durationDays: 30,
      },
      ADMIN_TOKEN,
    );
    const licenseId = created.body.license.id as string;
    const oldKey = created.body.licenseKey as string;
    // A rotation in flight: it holds the license row lock (as rotateKey does) while the validate arrives.
    const rotation = await pool.connect();
    try {
      await rotation.query("BEGIN");
      await rotation.query("SELECT id FROM licenses WHERE id = $1 FOR UPDATE", [licenseId]);
      const pending = validate(oldKey, "racer");
      // The validate now waits for the row lock (it locks by id, or since issue 18 by the key's hash).
      await waitFor("the validate to wait for the license row lock", async () => {
        const waiting = await pool.query(
          "SELECT count(*)::int AS n FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND query LIKE '%FROM licenses WHERE % = $1 FOR UPDATE%'",
        );
        return waiting.rows[0].n > 0;
      });
      await rotation.query("UPDATE licenses SET key_hash = $2 WHERE id = $1", [
        licenseId,
        hashLicenseKey("CODITECT-PRO-ROTATEDROTATEDROTATEDROTATED23"),
      ]);
      await rotation.query("COMMIT");
      const answer = await pending;
      expect(answer.status).toBe(403);
      expect(answer.body.error.code).toBe("license_invalid");
    } finally {
      rotation.release();
    }
    const sessions = await pool.query(
      "SELECT count(*)::int AS n FROM container_sessions WHERE license_id = $1",
      [licenseId],
    );
    expect(sessions.rows[0].n).toBe(0);
  });

  it("keeps sessions admitted through a workstation identity token: they never held the key", async () => {
    const created = await call(
      "/v1/admin/licenses",
      {
        organization: "ws-co",
        customerEmail: "ops@ws.test",
        tier: "pro",
        provisioningType: "pilot",
        durationDays: 30,
      },
      ADMIN_TOKEN,
    );
    const licenseId = created.body.license.id as string;
    const now = clock.now();
    const row = (id: string, containerId: string, principal: SessionRow["principal"]) => ({
      id,
      license_id: licenseId,
      organization: "ws-co",
      container_id: containerId,
      container_type: "workstation" as const,
      hostname: null,
      ip: null,
      state: "active" as const,
      reason: null,
      max_users: 1,
      resource_name: null,
      principal,
      created_at: now,
      last_heartbeat_at: now,
      ended_at: null,
      token_hash: randomUUID(),
    });
    const [identity, keyed, legacy] = [randomUUID(), randomUUID(), randomUUID()];
    await insertSession(pool, row(identity, "wkst-1", "workstation:ws-co/wkst-1"));
    await insertSession(pool, row(keyed, "wkst-2", `key:${"0".repeat(64)}`));
    await insertSession(pool, row(legacy, "wkst-3", null)); // from before the principal column: key-bound
    const ended = await withTransaction(pool, (tx) => endKeyBoundSessions(tx, licenseId, "admin", now));
    expect(ended.map((s) => s.id).sort()).toEqual([keyed, legacy].sort());
    const states = await pool.query<{ id: string; state: string }>(
      "SELECT id, state FROM container_sessions WHERE license_id = $1",
      [licenseId],
    );
    expect(Object.fromEntries(states.rows.map((r) => [r.id, r.state]))).toEqual({
      [identity]: "active",
      [keyed]: "terminated",
      [legacy]: "terminated",
    });
  });
});
