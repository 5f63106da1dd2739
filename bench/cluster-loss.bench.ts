/**
 * Cluster-loss benchmark (npm run bench -- cluster-loss), on real PostgreSQL and the Kubernetes API test
 * server: LICENSES licenses, each with one Workstation and one live session, are projected; the API server
 * is replaced by an empty one on the same port; billing's cluster watchdog (at its production interval)
 * re-projects everything. Reported: time from the loss to every License, Workstation and ContainerSession
 * back, the repair itself, and — as the baseline in the same run — one full resync sweep (what recovered
 * the cluster before, every RESYNC_INTERVAL_SECONDS = 300 s), plus that interval for comparison.
 * BENCH_LICENSES overrides the number of licenses (default 300). Writes bench/results/cluster-loss-watchdog.json
 * (bench/reliability-cluster-loss.bench.ts writes reliability-cluster-loss.json: billing as a process, under load).
 */

import { CustomObjectsApi } from "@kubernetes/client-node";
import pg from "pg";
import { pino } from "pino";
import { Registry } from "prom-client";
import Stripe from "stripe";
import { createGrantedLicense } from "../billing/admin/actions.js";
import { KubeClusterFeed } from "../billing/cluster/feed.js";
import { CLUSTER_WATCHDOG_INTERVAL_MS, startClusterWatchdog } from "../billing/cluster/watchdog.js";
import { loadConfig } from "../billing/config.js";
import { migrate } from "../billing/db/migrate.js";
import { withTransaction } from "../billing/db/tx.js";
import type { BillingDeps } from "../billing/deps.js";
import { validateSession } from "../billing/sessions/admission.js";
import { KubeSessionCluster } from "../billing/sessions/cluster.js";
import { DEFAULT_SESSION_TIMING } from "../billing/sessions/decide.js";
import { ContainerSessionResource, LicenseResource, WorkstationResource } from "../crds/types.js";
import { systemClock } from "../lib/clock.js";
import { generateSigningKey } from "../lib/offline-tokens/index.js";
import { fakeStripePriceEnv } from "../test-support/fake-stripe/index.js";
import { type KubeApiServer, startKubeApiServer } from "../test-support/kube-apiserver/index.js";
import { startPostgres } from "../test-support/postgres/server.js";
import { waitFor } from "../test-support/wait.js";
import { writeBenchResult } from "./write-result.js";

const LICENSES = Number(process.env.BENCH_LICENSES ?? 300);
const quiet = pino({ level: "silent" });

const postgres = await startPostgres();
let kube: KubeApiServer = await startKubeApiServer({ crdDirs: ["crds"] });
const port = Number(new URL(kube.url).port);
const kc = kube.kubeConfig();
const pool = new pg.Pool({ connectionString: await postgres.createDatabase("bench_cluster_loss"), max: 20 });
try {
  await migrate(pool);
  const config = loadConfig({
    STRIPE_SECRET_KEY: "sk_test_bench",
    STRIPE_WEBHOOK_SECRET: "whsec_bench",
    ...fakeStripePriceEnv(),
    ADMIN_TOKEN: "b".repeat(40),
    LOG_LEVEL: "silent",
  });
  const feed = new KubeClusterFeed(kc, pool, quiet);
  const deps: BillingDeps = {
    config,
    db: pool,
    stripe: new Stripe("sk_test_bench"),
    clock: systemClock,
    logger: quiet,
    metrics: new Registry(),
    kube: feed,
  };
  const ctx = {
    db: pool,
    clock: systemClock,
    logger: quiet,
    keySet: { current: await generateSigningKey("bench") },
    timing: DEFAULT_SESSION_TIMING,
    cluster: new KubeSessionCluster(kc),
  };
  for (let i = 0; i < LICENSES; i++) {
    const { license, key } = await withTransaction(pool, (tx) =>
      createGrantedLicense(
        tx,
        {
          organization: `org-${i % 20}`,
          customerEmail: `dev${i}@example.test`,
          tier: "pro",
          provisioningType: "pilot",
          durationDays: 30,
          seats: 1,
          workstations: 1,
          workstationTier: "standard",
        },
        { actor: "bench", action: "license.created", now: new Date(), paymentGraceMs: 0 },
      ),
    );
    await feed.syncLicense(license.id);
    const admitted = await validateSession(ctx, {
      licenseKey: key,
      containerId: `box-${i}`,
      containerType: "docker",
    });
    if (!("sessionId" in admitted)) throw new Error(`license ${i}: session not admitted`);
  }

  const count = async (kind: { group: string; version: string; plural: string }) =>
    (
      (await kc
        .makeApiClient(CustomObjectsApi)
        .listClusterCustomObject({ group: kind.group, version: kind.version, plural: kind.plural })) as {
        items: unknown[];
      }
    ).items.length;
  const allBack = async () =>
    (await count(LicenseResource)) === LICENSES &&
    (await count(WorkstationResource)) === LICENSES &&
    (await count(ContainerSessionResource)) === LICENSES;
  if (!(await allBack())) throw new Error("the projection is incomplete before the loss");

  // Baseline: one full resync sweep into an empty API server.
  await kube.stop();
  kube = await startKubeApiServer({ port, crdDirs: ["crds"] });
  const sweepStart = performance.now();
  const sweep = await feed.resyncAll();
  const resyncSweepMs = performance.now() - sweepStart;
  if (sweep.failed) throw new Error(`resync sweep: ${sweep.failed} licenses failed`);

  // The loss under the watchdog at its production interval.
  const watchdog = startClusterWatchdog(deps);
  await kube.stop();
  kube = await startKubeApiServer({ port, crdDirs: ["crds"] });
  const lostAt = performance.now();
  await waitFor("everything re-projected", allBack, { timeoutMs: 300_000, intervalMs: 100 });
  const lossToReprojectedMs = performance.now() - lostAt;
  await watchdog.stop();

  // The repair alone (no wait for the next check).
  await kube.stop();
  kube = await startKubeApiServer({ port, crdDirs: ["crds"] });
  const repairStart = performance.now();
  const report = await feed.repairLosses();
  const repairMs = performance.now() - repairStart;

  writeBenchResult("cluster-loss", "watchdog", {
    setup: {
      licenses: LICENSES,
      workstationsPerLicense: 1,
      liveSessionsPerLicense: 1,
      namespaces: 20,
      cluster: "Kubernetes API test server (in-process), replaced by an empty one on the same port",
      watchdogIntervalMs: CLUSTER_WATCHDOG_INTERVAL_MS,
    },
    lossToEverythingReprojectedMs: Math.round(lossToReprojectedMs),
    repairOnlyMs: Math.round(repairMs),
    repairReport: report,
    baseline: {
      fullResyncSweepMs: Math.round(resyncSweepMs),
      note: "before: the only recovery was the resync sweep every 300 s, and it did not recreate ContainerSessions",
      resyncIntervalMs: 300_000,
    },
  });
} finally {
  await pool.end();
  await kube.stop();
  await postgres.stop();
}
