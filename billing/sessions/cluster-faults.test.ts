/**
 * Issue 12 items 2 and 3 at the sessions API: a ContainerSession the cluster lost is recreated from
 * Postgres (the session lives on), and a Kubernetes API that throttles, fails or hangs makes validate and
 * heartbeat retry within a bounded budget and then answer 503 with Retry-After — never 500, never a wait
 * as long as the API server's.
 */
import { CustomObjectsApi, type KubeConfig } from "@kubernetes/client-node";
import { pino } from "pino";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { type ContainerSession, ContainerSessionResource } from "../../crds/types.js";
import { ManualClock } from "../../lib/clock.js";
import { TIMING } from "../../lib/domain.js";
import type { KubeConnection } from "../../lib/kube/connection.js";
import { type KubeApiServer, startKubeApiServer } from "../../test-support/kube-apiserver/index.js";
import { KubeClusterFeed } from "../cluster/feed.js";
import { testServerConnection } from "../testing/kube-connection.js";
import { KubeSessionCluster } from "./cluster.js";
import { type SessionsHarness, startSessionsHarness } from "./test-harness.js";

const clock = new ManualClock("2026-03-01T12:00:00Z");
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
/** A small budget keeps the test quick; production's default is in kube-retry.ts. */
const RETRY = { budgetMs: 2_500, attemptTimeoutMs: 800, baseDelayMs: 50, maxDelayMs: 400 };

beforeAll(async () => {
  kube = await startKubeApiServer({ crdDirs: ["crds"] });
  kc = kube.kubeConfig();
  conn = testServerConnection(kube);
  api = kc.makeApiClient(CustomObjectsApi);
  h = await startSessionsHarness(clock, { cluster: new KubeSessionCluster(conn, RETRY) }, "sessions_faults");
});
afterEach(() => {
  kube.faults.failNext(0, 500);
  kube.faults.setLatency(0);
});
afterAll(async () => {
  await h.close();
  await kube.stop();
});

async function liveSession(organization: string) {
  const lic = await h.createLicense("pro", { organization, maxContainers: 3 });
  await new KubeClusterFeed(conn, h.pool, pino({ level: "silent" })).syncLicense(lic.id);
  const v = await h.post("/v1/sessions/validate", {
    licenseKey: lic.key,
    containerId: `box-${organization}`,
    containerType: "docker",
  });
  expect(v.status).toBe(201);
  return { lic, sessionId: v.body.sessionId as string, token: v.body.sessionToken as string };
}

const getSession = (namespace: string, name: string) =>
  api.getNamespacedCustomObject({ ...sessions, namespace, name }) as Promise<ContainerSession>;

const sessionRow = async (id: string) =>
  (await h.pool.query("SELECT state, reason FROM container_sessions WHERE id = $1", [id])).rows[0];

describe("a ContainerSession the cluster lost", () => {
  it("is recreated from Postgres at the next heartbeat; the session stays live", async () => {
    const { sessionId, token } = await liveSession("org-lost");
    const name = `cs-${sessionId.toLowerCase()}`;
    await api.deleteNamespacedCustomObject({ ...sessions, namespace: "org-lost", name });

    clock.advance(TIMING.heartbeatIntervalMs);
    const hb = await h.post("/v1/sessions/heartbeat", {}, token);
    expect(hb.status).toBe(200);
    expect(hb.body.status).toBe("ok");
    expect(await sessionRow(sessionId)).toEqual({ state: "active", reason: null });
    const again = await getSession("org-lost", name);
    expect(again.spec).toMatchObject({ sessionId, containerId: "box-org-lost" });
    expect(again.status).toMatchObject({ state: "active", lastHeartbeatTime: clock.now().toISOString() });
  });
});

describe("Kubernetes API throttling, errors and latency", { timeout: 30_000 }, () => {
  it("a few 429s with Retry-After are waited out: the heartbeat succeeds", async () => {
    const { token } = await liveSession("org-429");
    kube.faults.failNext(2, 429, 1);
    const hb = await h.post("/v1/sessions/heartbeat", {}, token);
    expect(hb.status).toBe(200);
    expect(hb.body.status).toBe("ok");
  });

  it("a Retry-After beyond the budget answers 503 at once with that Retry-After", async () => {
    const { token } = await liveSession("org-429-long");
    kube.faults.failNext(5, 429, 30);
    const hb = await h.post("/v1/sessions/heartbeat", {}, token);
    expect(hb.status).toBe(503);
    expect(hb.headers.get("retry-after")).toBe("30");
    expect(hb.body.error.code).toBe("cluster_unavailable");
  });

  it("persistent 500s: heartbeat and validate answer 503 with Retry-After, validate admits nothing", async () => {
    const { lic, token } = await liveSession("org-500");
    kube.faults.failNext(10_000, 500);
    const hb = await h.post("/v1/sessions/heartbeat", {}, token);
    expect(hb.status).toBe(503);
    expect(Number(hb.headers.get("retry-after"))).toBeGreaterThanOrEqual(1);
    const v = await h.post("/v1/sessions/validate", {
      licenseKey: lic.key,
      containerId: "box-second",
      containerType: "docker",
    });
    expect(v.status).toBe(503);
    expect(v.body.error.code).toBe("cluster_unavailable");
    const rows = await h.pool.query(
      "SELECT count(*)::int AS n FROM container_sessions WHERE license_id = $1",
      [lic.id],
    );
    expect(rows.rows[0].n).toBe(1);

    kube.faults.failNext(0, 500);
    expect((await h.post("/v1/sessions/heartbeat", {}, token)).status).toBe(200);
  });

  it("an API server slower than an attempt may take answers 503, not a late 200", async () => {
    const { token } = await liveSession("org-slow");
    kube.faults.setLatency(5_000);
    const hb = await h.post("/v1/sessions/heartbeat", {}, token);
    expect(hb.status).toBe(503);
    expect(hb.body.error.code).toBe("cluster_unavailable");
  });
});
