/**
 * Issue 18 goal 1 (ADR 0270): a heartbeat touches only PostgreSQL — one statement for a live session — and
 * its ContainerSession status follows within the flush interval; state changes are written at once.
 */

import type { AddressInfo } from "node:net";
import { CustomObjectsApi, type KubeConfig, PatchStrategy, setHeaderOptions } from "@kubernetes/client-node";
import express from "express";
import { pino } from "pino";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { type ContainerSession, ContainerSessionResource } from "../../crds/types.js";
import { ManualClock } from "../../lib/clock.js";
import { TIMING } from "../../lib/domain.js";
import type { KubeConnection } from "../../lib/kube/connection.js";
import { countingDb } from "../../test-support/counting-db.js";
import { type KubeApiServer, startKubeApiServer } from "../../test-support/kube-apiserver/index.js";
import { waitFor } from "../../test-support/wait.js";
import { KubeClusterFeed } from "../cluster/feed.js";
import { errorMiddleware } from "../http/errors.js";
import { testServerConnection } from "../testing/kube-connection.js";
import { KubeSessionCluster } from "./cluster.js";
import { sessionsRouter, stopSessions } from "./router.js";
import { type SessionsHarness, startSessionsHarness } from "./test-harness.js";

const clock = new ManualClock("2026-03-01T12:00:00Z");
/** Short, so the test does not wait for production's 5 s. */
const FLUSH_MS = 100;
const RETRY = { budgetMs: 1_000, attemptTimeoutMs: 500, baseDelayMs: 50, maxDelayMs: 200 };
let kube: KubeApiServer;
let kc: KubeConfig;
/** Billing's own client connects with this (kc stays the independent client-node reader). */
let conn: KubeConnection;
let api: CustomObjectsApi;
let h: SessionsHarness;
const sessions = {
  group: ContainerSessionResource.group,
  version: ContainerSessionResource.version,
  plural: ContainerSessionResource.plural,
};

beforeAll(async () => {
  kube = await startKubeApiServer({ crdDirs: ["crds"] });
  kc = kube.kubeConfig();
  conn = testServerConnection(kube);
  api = kc.makeApiClient(CustomObjectsApi);
  h = await startSessionsHarness(
    clock,
    { cluster: new KubeSessionCluster(conn, RETRY), statusFlushMs: FLUSH_MS },
    "sessions_async",
  );
});
afterEach(() => kube.faults.failNext(0, 500));
afterAll(async () => {
  await h.close();
  await kube.stop();
});

const licenses = new Map<string, { id: string; key: string }>();

/** One Pro license (3 containers) per organization, projected into the cluster. */
async function liveSessionLicense(organization: string) {
  const known = licenses.get(organization);
  if (known) return known;
  const lic = await h.createLicense("pro", { organization, maxContainers: 3 });
  await new KubeClusterFeed(conn, h.pool, pino({ level: "silent" })).syncLicense(lic.id);
  licenses.set(organization, lic);
  return lic;
}

async function liveSession(organization: string) {
  const lic = await liveSessionLicense(organization);
  const v = await h.post("/v1/sessions/validate", {
    licenseKey: lic.key,
    containerId: `box-${organization}`,
    containerType: "docker",
  });
  expect(v.status).toBe(201);
  const sessionId = v.body.sessionId as string;
  const name = `cs-${sessionId.toLowerCase()}`;
  // Projected after the commit (ADR 0271): wait until it is in the cluster with its first status.
  await waitFor("the session's resource", async () => (await getSession(organization, name)).status?.state);
  return { lic, sessionId, token: v.body.sessionToken as string, name };
}

const getSession = (namespace: string, name: string) =>
  api.getNamespacedCustomObject({ ...sessions, namespace, name }) as Promise<ContainerSession>;

describe("heartbeat with the status publisher", () => {
  it("answers from PostgreSQL while every Kubernetes call fails; the status follows once the API is back", async () => {
    const { sessionId, token, name } = await liveSession("org-async-down");
    kube.faults.failNext(100_000, 500);
    clock.advance(TIMING.heartbeatIntervalMs);
    const hb = await h.post("/v1/sessions/heartbeat", { cpu: 7 }, token);
    expect(hb.status).toBe(200);
    expect(hb.body.status).toBe("ok");
    const row = await h.pool.query("SELECT last_heartbeat_at FROM container_sessions WHERE id = $1", [
      sessionId,
    ]);
    expect(row.rows[0].last_heartbeat_at.toISOString()).toBe(clock.now().toISOString());

    kube.faults.failNext(0, 500);
    const beatAt = clock.now().toISOString();
    const shown = await waitFor("the heartbeat in the resource's status", async () => {
      const cs = await getSession("org-async-down", name);
      return cs.status?.lastHeartbeatTime === beatAt ? cs : undefined;
    });
    expect(shown.status).toMatchObject({ state: "active", lastReport: { cpuPercent: 7 } });
  });

  it("a release is written at once, and a heartbeat still queued does not follow it", async () => {
    const { token, name } = await liveSession("org-async-release");
    clock.advance(TIMING.heartbeatIntervalMs);
    expect((await h.post("/v1/sessions/heartbeat", {}, token)).status).toBe(200);
    const released = await h.post("/v1/sessions/release", {}, token);
    expect(released.body).toMatchObject({ state: "released" });
    // No wait: the end is in the cluster when the release answers.
    const cs = await getSession("org-async-release", name);
    expect(cs.status).toMatchObject({ state: "released", reason: "Released" });
    // Another session's heartbeat reaching the cluster proves a flush ran after the release: the resource
    // still says released, and the heartbeat queued before the release never landed.
    const before = cs.status?.lastHeartbeatTime;
    const other = await h.post("/v1/sessions/validate", {
      licenseKey: (await liveSessionLicense("org-async-release")).key,
      containerId: "box-other",
      containerType: "docker",
    });
    expect(other.status).toBe(201);
    clock.advance(1_000);
    const otherBeat = clock.now().toISOString();
    expect((await h.post("/v1/sessions/heartbeat", {}, other.body.sessionToken)).status).toBe(200);
    await waitFor("a flush after the release", async () => {
      const o = await getSession("org-async-release", `cs-${other.body.sessionId.toLowerCase()}`);
      return o.status?.lastHeartbeatTime === otherBeat;
    });
    const later = await getSession("org-async-release", name);
    expect(later.status).toMatchObject({ state: "released", lastHeartbeatTime: before });
  });

  it("an end the operator wrote reaches PostgreSQL at the next flush; the following heartbeat is told `expired`", async () => {
    const { sessionId, token, name } = await liveSession("org-async-ended");
    await api.patchNamespacedCustomObjectStatus(
      {
        ...sessions,
        namespace: "org-async-ended",
        name,
        body: { status: { state: "terminated", reason: "OverQuota", endedAt: clock.now().toISOString() } },
      },
      setHeaderOptions("Content-Type", PatchStrategy.MergePatch),
    );
    // Postgres still says live: this heartbeat is ok, and its queued status write learns of the end.
    expect((await h.post("/v1/sessions/heartbeat", {}, token)).body.status).toBe("ok");
    await waitFor("Postgres to follow the operator's end", async () => {
      const row = await h.pool.query("SELECT state, reason FROM container_sessions WHERE id = $1", [
        sessionId,
      ]);
      return row.rows[0].state === "terminated" && row.rows[0].reason === "OverQuota";
    });
    const hb = await h.post("/v1/sessions/heartbeat", {}, token);
    expect(hb.body).toMatchObject({ status: "expired" });
    expect(hb.body.message).toMatch(/OverQuota/);
  });
});

describe("re-admission with the publisher", () => {
  it("a stale session re-admitted by its heartbeat is active in the cluster when the heartbeat answers", async () => {
    const { token, name } = await liveSession("org-async-readmit");
    // What the operator writes once the heartbeat is 30 minutes old.
    await api.patchNamespacedCustomObjectStatus(
      {
        ...sessions,
        namespace: "org-async-readmit",
        name,
        body: { status: { state: "expired", reason: "HeartbeatMissed", endedAt: clock.now().toISOString() } },
      },
      setHeaderOptions("Content-Type", PatchStrategy.MergePatch),
    );
    clock.advance(TIMING.sessionExpiryMs + 60_000);
    const hb = await h.post("/v1/sessions/heartbeat", {}, token);
    expect(hb.body.status).toBe("ok");
    // No wait: a state change is written at once, not queued.
    const cs = await getSession("org-async-readmit", name);
    expect(cs.status).toMatchObject({ state: "active", lastHeartbeatTime: clock.now().toISOString() });
    expect(cs.status?.reason ?? null).toBeNull();
  });
});

describe("what a heartbeat costs PostgreSQL", () => {
  it("one statement for a live session, with the per-replica or the shared rate limiter (ADR 0301)", async () => {
    const { token } = await liveSession("org-async-sql");
    const counted = countingDb(h.pool);
    const statementsPerHeartbeat: Record<string, number> = {};
    for (const store of ["memory", "postgres"] as const) {
      const app = express();
      app.use(express.json());
      app.use(
        sessionsRouter(
          { ...h.deps, db: counted.db, config: { ...h.deps.config, rateLimitStore: store } },
          { keySet: h.keySet, cluster: new KubeSessionCluster(conn, RETRY), statusFlushMs: 60_000 },
        ),
      );
      app.use(errorMiddleware);
      const server = app.listen(0, "127.0.0.1");
      await new Promise((resolve) => server.once("listening", resolve));
      const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
      clock.advance(60_000);
      counted.reset();
      const response = await fetch(`${url}/v1/sessions/heartbeat`, {
        method: "POST",
        headers: { "content-type": "application/json", authorization: `Bearer ${token}` },
        body: "{}",
      });
      expect(response.status).toBe(200);
      expect(((await response.json()) as { status: string }).status).toBe("ok");
      statementsPerHeartbeat[store] = counted.statements().length;
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    }
    expect(statementsPerHeartbeat).toEqual({ memory: 1, postgres: 1 });
  });
});

describe("billing's shutdown (ADR 0302)", () => {
  it("waits for the last status writes only up to its bound when the API does not answer", async () => {
    const { token } = await liveSession("org-async-shutdown");
    const deps = { ...h.deps };
    const app = express();
    app.use(express.json());
    // A client that would wait for the API far longer than a shutdown may.
    const patient = new KubeSessionCluster(kc, { ...RETRY, budgetMs: 30_000, attemptTimeoutMs: 20_000 });
    app.use(sessionsRouter(deps, { keySet: h.keySet, cluster: patient, statusFlushMs: 60_000 }));
    app.use(errorMiddleware);
    const server = app.listen(0, "127.0.0.1");
    await new Promise((resolve) => server.once("listening", resolve));
    try {
      clock.advance(60_000);
      const response = await fetch(
        `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1/sessions/heartbeat`,
        {
          method: "POST",
          headers: { "content-type": "application/json", authorization: `Bearer ${token}` },
          body: "{}",
        },
      );
      expect(response.status).toBe(200);
      kube.faults.setLatency(5_000);
      const started = Date.now();
      expect(await stopSessions(deps, 300)).toBe(false);
      // Generous: the bound is 300 ms; without it this waits for the 5-s answer.
      expect(Date.now() - started).toBeLessThan(3_000);
      expect(await stopSessions(deps, 300)).toBe(true); // already stopped: nothing left to wait for
    } finally {
      kube.faults.setLatency(0);
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    }
  });
});

describe("admission with the publisher: sessions projected after the commit (ADR 0271)", () => {
  const listIn = async (namespace: string) =>
    ((await api.listNamespacedCustomObject({ ...sessions, namespace })) as { items: ContainerSession[] })
      .items;

  it("every admitted session gets its resource, a refused one none; the seat count holds in SQL", async () => {
    const lic = await h.createLicense("pro", { organization: "org-async-admit", maxContainers: 4 });
    await new KubeClusterFeed(conn, h.pool, pino({ level: "silent" })).syncLicense(lic.id);
    const answers = await Promise.all(
      Array.from({ length: 12 }, (_, i) =>
        h.post("/v1/sessions/validate", {
          licenseKey: lic.key,
          containerId: `c-${i}`,
          containerType: "docker",
        }),
      ),
    );
    const admitted = answers.filter((a) => a.status === 201).map((a) => a.body.sessionId as string);
    expect(admitted).toHaveLength(4);
    expect(
      answers.filter((a) => a.status === 429).every((a) => a.body.error.code === "seat_limit_reached"),
    ).toBe(true);
    const live = await h.pool.query(
      "SELECT count(*)::int AS n FROM container_sessions WHERE license_id = $1 AND state = 'active'",
      [lic.id],
    );
    expect(live.rows[0].n).toBe(4);
    const resources = await waitFor("a resource for every admitted session", async () => {
      const items = await listIn("org-async-admit");
      return items.length >= admitted.length ? items : undefined;
    });
    expect(resources.map((r) => r.spec.sessionId).sort()).toEqual([...admitted].sort());
    expect(resources.every((r) => r.status?.state === "active")).toBe(true);
  });

  it("admits while the Kubernetes API fails; the resource is created once the API is back", async () => {
    const lic = await h.createLicense("pro", { organization: "org-async-admit-down", maxContainers: 2 });
    await new KubeClusterFeed(conn, h.pool, pino({ level: "silent" })).syncLicense(lic.id);
    kube.faults.failNext(100_000, 500);
    const v = await h.post("/v1/sessions/validate", {
      licenseKey: lic.key,
      containerId: "box-down",
      containerType: "docker",
    });
    expect(v.status).toBe(201);
    kube.faults.failNext(0, 500);
    const name = `cs-${(v.body.sessionId as string).toLowerCase()}`;
    const cs = await waitFor("the resource created by a retry", async () => {
      const found = await getSession("org-async-admit-down", name);
      return found.status?.state ? found : undefined;
    });
    expect(cs.status).toMatchObject({ state: "active", lastHeartbeatTime: clock.now().toISOString() });
  });

  it("a session released before its resource was created ends released in the cluster", async () => {
    const lic = await h.createLicense("pro", { organization: "org-async-quick", maxContainers: 2 });
    await new KubeClusterFeed(conn, h.pool, pino({ level: "silent" })).syncLicense(lic.id);
    kube.faults.setLatency(150);
    try {
      const v = await h.post("/v1/sessions/validate", {
        licenseKey: lic.key,
        containerId: "box-quick",
        containerType: "docker",
      });
      expect(v.status).toBe(201);
      expect((await h.post("/v1/sessions/release", {}, v.body.sessionToken)).body.state).toBe("released");
      const cs = await getSession("org-async-quick", `cs-${(v.body.sessionId as string).toLowerCase()}`);
      expect(cs.status).toMatchObject({ state: "released", reason: "Released" });
    } finally {
      kube.faults.setLatency(0);
    }
  });
});
