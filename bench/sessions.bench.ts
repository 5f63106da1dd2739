/**
 * Sessions benchmark (npm run bench -- sessions), on real PostgreSQL and the Kubernetes API test server:
 *
 * 1. heartbeat: throughput and p50/p99 latency of POST /v1/sessions/heartbeat over HTTP (token lookup,
 *    transaction with the license FOR KEY SHARE, row update, offline-token signing), without and with the
 *    ContainerSession status patch, against a bare Express JSON endpoint on the same server in the same run.
 * 2. revocation: time to terminate 5,000 sessions of one license — in Postgres (terminateLicenseSessions,
 *    one transaction) and in the cluster (License revoked → the operator's ContainerSession controller has
 *    marked all 5,000 resources terminated), against a plain loop of 5,000 status patches at the same
 *    concurrency as the baseline.
 * The per-key rate limits (validate 30/min, heartbeat 20/min) are raised for the run; the limiter still
 * runs. Any failed request aborts the benchmark.
 */

import type { AddressInfo } from "node:net";
import { CustomObjectsApi, PatchStrategy, setHeaderOptions } from "@kubernetes/client-node";
import express from "express";
import pg from "pg";
import { pino } from "pino";
import { Registry } from "prom-client";
import Stripe from "stripe";
import { createGrantedLicense, lockedLicense, revoke } from "../billing/admin/actions.js";
import { KubeClusterFeed } from "../billing/cluster/feed.js";
import { licenseResourceName } from "../billing/cluster/projection.js";
import { loadConfig } from "../billing/config.js";
import { migrate } from "../billing/db/migrate.js";
import { withTransaction } from "../billing/db/tx.js";
import type { BillingDeps } from "../billing/deps.js";
import { errorMiddleware } from "../billing/http/errors.js";
import { validateSession } from "../billing/sessions/admission.js";
import { KubeSessionCluster } from "../billing/sessions/cluster.js";
import type { SessionsContext } from "../billing/sessions/context.js";
import { DEFAULT_SESSION_TIMING } from "../billing/sessions/decide.js";
import { terminateLicenseSessions } from "../billing/sessions/release.js";
import { sessionsRouter } from "../billing/sessions/router.js";
import { ContainerSessionResource, LicenseResource } from "../crds/types.js";
import { systemClock } from "../lib/clock.js";
import { generateSigningKey } from "../lib/offline-tokens/index.js";
import { registerContainerSessionControllers } from "../operator/containersession/register.js";
import { Manager } from "../operator/runtime/manager.js";
import { operatorKubeClient } from "../operator/testing/kube-client.js";
import { fakeStripePriceEnv } from "../test-support/fake-stripe/index.js";
import { startKubeApiServer } from "../test-support/kube-apiserver/index.js";
import { startPostgres } from "../test-support/postgres/server.js";
import { waitFor } from "../test-support/wait.js";
import { writeBenchResult } from "./write-result.js";

const HEARTBEAT_SESSIONS = 200;
const REQUESTS = 4_000;
const CONCURRENCY = 16;
const REVOKE_SESSIONS = 5_000;
const quiet = pino({ level: "silent" });

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

/** Sends `count` requests with `concurrency` in flight; returns throughput and latency percentiles (ms). */
async function load(count: number, concurrency: number, send: (i: number) => Promise<Response>) {
  const latencies: number[] = [];
  let next = 0;
  let failures = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < count) {
        const i = next++;
        const t = performance.now();
        const response = await send(i);
        await response.arrayBuffer();
        if (!response.ok) failures += 1;
        latencies.push(performance.now() - t);
      }
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  if (failures > 0) throw new Error(`${failures} of ${count} requests failed`);
  latencies.sort((a, b) => a - b);
  return {
    requests: count,
    failures,
    perSecond: Math.round(count / seconds),
    p50Ms: +percentile(latencies, 50).toFixed(2),
    p99Ms: +percentile(latencies, 99).toFixed(2),
  };
}

async function pooled<T>(
  items: T[],
  concurrency: number,
  work: (item: T) => Promise<unknown>,
): Promise<number> {
  const started = performance.now();
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < items.length) await work(items[next++]!);
    }),
  );
  return performance.now() - started;
}

const postgres = await startPostgres();
const kube = await startKubeApiServer({ crdDirs: ["crds"] });
const kc = kube.kubeConfig();
const custom = kc.makeApiClient(CustomObjectsApi);
const pool = new pg.Pool({ connectionString: await postgres.createDatabase("bench_sessions"), max: 20 });
try {
  await migrate(pool);
  const config = loadConfig({
    STRIPE_SECRET_KEY: "sk_test_bench",
    STRIPE_WEBHOOK_SECRET: "whsec_bench",
    ...fakeStripePriceEnv(),
    ADMIN_TOKEN: "b".repeat(40),
    LOG_LEVEL: "silent",
  });
  const deps: BillingDeps = {
    config,
    db: pool,
    stripe: new Stripe("sk_test_bench"),
    clock: systemClock,
    logger: quiet,
    metrics: new Registry(),
  };
  const keySet = { current: await generateSigningKey("bench") };
  const cluster = new KubeSessionCluster(kc);
  const feed = new KubeClusterFeed(kc, pool, quiet);
  const rateLimits = {
    heartbeat: { limit: 1_000_000, windowMs: 60_000 },
    validate: { limit: 1_000_000, windowMs: 60_000 },
  };

  const app = express();
  app.use(express.json());
  app.post("/bare", (_req, res) => void res.json({ status: "ok" }));
  app.use("/db-only", sessionsRouter(deps, { keySet, cluster: null, rateLimits }));
  // Inline status writes (statusFlushMs 0): what this benchmark has always measured; the default publisher
  // (ADR 0270) is measured by sessions-hotpaths.bench.ts.
  app.use("/with-cluster", sessionsRouter(deps, { keySet, cluster, rateLimits, statusFlushMs: 0 }));
  app.use(errorMiddleware);
  const server = app.listen(0, "127.0.0.1");
  await new Promise((r) => server.once("listening", r));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const post = (path: string, body: object, token?: string) =>
    fetch(`${base}${path}`, {
      method: "POST",
      headers: { "content-type": "application/json", ...(token ? { authorization: `Bearer ${token}` } : {}) },
      body: JSON.stringify(body),
    });

  const grant = async (organization: string) =>
    withTransaction(pool, (tx) =>
      createGrantedLicense(
        tx,
        {
          organization,
          customerEmail: "bench@acme.example",
          tier: "enterprise",
          provisioningType: "internal",
          seats: 10,
          workstations: 0,
        },
        { actor: "bench", action: "license.created", now: new Date(), paymentGraceMs: config.paymentGraceMs },
      ),
    );

  // ---- 1. heartbeat latency and throughput ----
  const hbLicense = await grant("bench-hb");
  await feed.syncLicense(hbLicense.license.id);
  const tokens = { dbOnly: [] as string[], withCluster: [] as string[] };
  for (let i = 0; i < HEARTBEAT_SESSIONS; i++) {
    for (const [path, list] of [
      ["/db-only", tokens.dbOnly],
      ["/with-cluster", tokens.withCluster],
    ] as const) {
      const r = await post(`${path}/v1/sessions/validate`, {
        licenseKey: hbLicense.key,
        containerId: `hb${path.length}-${i}`,
        containerType: "docker",
      });
      if (r.status !== 201) throw new Error(`validate for the heartbeat benchmark answered ${r.status}`);
      list.push(((await r.json()) as { sessionToken: string }).sessionToken);
    }
  }
  const usage = { cpuPercent: 12, memoryBytes: 1_000_000, uptimeSeconds: 300 };
  await load(300, CONCURRENCY, () => post("/bare", usage)); // warm-up
  await load(300, CONCURRENCY, (i) =>
    post("/db-only/v1/sessions/heartbeat", usage, tokens.dbOnly[i % HEARTBEAT_SESSIONS]),
  );
  const bare = await load(REQUESTS, CONCURRENCY, () => post("/bare", usage));
  const dbOnly = await load(REQUESTS, CONCURRENCY, (i) =>
    post("/db-only/v1/sessions/heartbeat", usage, tokens.dbOnly[i % HEARTBEAT_SESSIONS]),
  );
  const withCluster = await load(REQUESTS, CONCURRENCY, (i) =>
    post("/with-cluster/v1/sessions/heartbeat", usage, tokens.withCluster[i % HEARTBEAT_SESSIONS]),
  );
  writeBenchResult("sessions", "heartbeat", {
    setup: {
      sessions: HEARTBEAT_SESSIONS,
      requests: REQUESTS,
      concurrency: CONCURRENCY,
      postgres: "real PostgreSQL 15, fsync=off",
      cluster: "Kubernetes API test server (in-process)",
    },
    baselineBareExpress: bare,
    heartbeatPostgresOnly: dbOnly,
    heartbeatWithStatusPatch: withCluster,
    ratios: {
      throughputPostgresOnlyVsBare: +(dbOnly.perSecond / bare.perSecond).toFixed(3),
      throughputWithClusterVsBare: +(withCluster.perSecond / bare.perSecond).toFixed(3),
      p99PostgresOnlyVsBare: +(dbOnly.p99Ms / bare.p99Ms).toFixed(2),
      p99WithClusterVsBare: +(withCluster.p99Ms / bare.p99Ms).toFixed(2),
    },
  });
  server.closeAllConnections();
  server.close();

  // ---- 2. terminate 5,000 sessions after a revocation ----
  const ctx: SessionsContext = {
    db: pool,
    clock: systemClock,
    logger: quiet,
    keySet,
    timing: DEFAULT_SESSION_TIMING,
    cluster,
  };
  const revokeLicense = await grant("bench-revoke");
  await feed.syncLicense(revokeLicense.license.id);
  const ids = Array.from({ length: REVOKE_SESSIONS }, (_, i) => i);
  const admitMs = await pooled(ids, 8, (i) =>
    validateSession(ctx, { licenseKey: revokeLicense.key, containerId: `rv-${i}`, containerType: "docker" }),
  );

  const operatorKube = operatorKubeClient(kube);
  const manager = new Manager({
    kubeClient: operatorKube,
    clock: systemClock,
    logger: quiet,
    leaderElection: false,
  });
  const { sessions, licenses } = registerContainerSessionControllers(manager, {
    clock: systemClock,
    logger: quiet,
  });
  await manager.start();
  const inNamespace = () => sessions.list().filter((s) => s.metadata?.namespace === "bench-revoke");
  await waitFor("informer sees all sessions", () => inNamespace().length === REVOKE_SESSIONS, {
    timeoutMs: 120_000,
    intervalMs: 20,
  });

  const dbStarted = performance.now();
  const ended = await withTransaction(pool, async (tx) => {
    const row = await revoke(tx, await lockedLicense(tx, revokeLicense.license.id), {
      actor: "bench",
      action: "license.revoked",
      now: new Date(),
      paymentGraceMs: config.paymentGraceMs,
    });
    return terminateLicenseSessions(tx, row.id, "LicenseRevoked");
  });
  const dbMs = performance.now() - dbStarted;
  if (ended.length !== REVOKE_SESSIONS)
    throw new Error(`terminated ${ended.length}, expected ${REVOKE_SESSIONS}`);

  const clusterStarted = performance.now();
  await feed.syncLicense(revokeLicense.license.id); // License spec.state = revoked
  await waitFor(
    "all ContainerSessions terminated",
    () => inNamespace().every((s) => s.status?.state === "terminated"),
    { timeoutMs: 600_000, intervalMs: 20 },
  );
  const operatorMs = performance.now() - clusterStarted;
  const licenseKey = `bench-revoke/${licenseResourceName(revokeLicense.license.id)}`;
  await waitFor(
    "License status.activeSessions = 0",
    () => licenses.get(licenseKey)?.status?.activeSessions === 0,
    { timeoutMs: 600_000, intervalMs: 20 },
  );
  const countCurrentMs = performance.now() - clusterStarted;
  await manager.stop();
  await operatorKube.close();

  // Baseline: the raw cost of 5,000 status merge patches at the controller's concurrency (4 workers).
  const names = inNamespace().map((s) => s.metadata!.name!);
  const mergePatch = setHeaderOptions("Content-Type", PatchStrategy.MergePatch);
  const { group, version, plural } = ContainerSessionResource;
  const rawMs = await pooled(names, 4, (name) =>
    custom.patchNamespacedCustomObjectStatus(
      {
        group,
        version,
        plural,
        namespace: "bench-revoke",
        name,
        body: { status: { reason: "BaselinePatch" } },
      },
      mergePatch,
    ),
  );
  const license = (await custom.getNamespacedCustomObject({
    group: LicenseResource.group,
    version: LicenseResource.version,
    plural: LicenseResource.plural,
    namespace: "bench-revoke",
    name: licenseResourceName(revokeLicense.license.id),
  })) as { status?: { activeSessions?: number } };

  writeBenchResult("sessions", "revocation", {
    setup: {
      sessions: REVOKE_SESSIONS,
      operatorWorkers: 4,
      cluster: "Kubernetes API test server (in-process)",
    },
    admitSessionsMs: Math.round(admitMs),
    terminateInPostgresMs: Math.round(dbMs),
    terminateInClusterByOperatorMs: Math.round(operatorMs),
    licenseActiveSessionsZeroAfterMs: Math.round(countCurrentMs),
    baselineRawStatusPatchesMs: Math.round(rawMs),
    ratios: { operatorVsRawPatches: +(operatorMs / rawMs).toFixed(2) },
    licenseActiveSessionsAfter: license.status?.activeSessions ?? null,
  });
} finally {
  await pool.end();
  await kube.stop();
  await postgres.stop();
}
process.exit(0);
