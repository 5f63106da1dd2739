/**
 * Operator throughput and memory with 1,000 and 10,000 Workstation resources, against the Kubernetes API
 * test server and the fake Cloud Workstations (both in this process, over HTTP and gRPC).
 *
 * Per size, measured in the same run:
 * - baselines: one full LIST of the Workstations; a no-op reconcile loop (the same queue and workers, a
 *   reconciler that only reads the cache) = the runtime's own ceiling; a loop of raw gateway `get`s with the
 *   same concurrency = the cloud-read cost every real reconcile pays;
 * - provisioning: operator start → every Workstation Ready (reconciles/s, Workstations Ready/s);
 * - steady sweep: every key enqueued again on a converged fleet (each pass observes GCP and writes nothing);
 * - resident memory before the operator started (servers holding the objects) and after convergence.
 * Run: npm run bench -- operator     → bench/results/operator-<size>-<mode>.json
 */
import diagnostics from "node:diagnostics_channel";
import { pino } from "pino";
import { CRD_DIR } from "../crds/load.js";
import { type Workstation, WorkstationResource } from "../crds/types.js";
import { systemClock } from "../lib/clock.js";
import { createWorkstationsGateway } from "../operator/gcp/workstations.js";
import { createOperator } from "../operator/operator.js";
import { Manager } from "../operator/runtime/manager.js";
import { operatorKubeClient } from "../operator/testing/kube-client.js";
import { startFakeWorkstations } from "../test-support/fake-workstations/index.js";
import { startKubeApiServer } from "../test-support/kube-apiserver/index.js";
import { waitFor } from "../test-support/wait.js";
import {
  CLUSTER,
  CONFIG,
  cloudNames,
  createWorkstationFleet,
  type FleetMode,
  pool,
  seedFakeCluster,
} from "./operator-fleet.js";
import { writeBenchResult } from "./write-result.js";

const WORKERS = Number(process.env.BENCH_OPERATOR_WORKERS ?? 16);
const logger = pino({ level: process.env.BENCH_LOG ?? "silent" });
process.env.METADATA_SERVER_DETECTION = "none";

function rss(): number {
  global.gc?.();
  return process.memoryUsage().rss;
}

/**
 * "scratch": the operator provisions every workstation (create → start → grant). "adopt": the cloud
 * workstations already exist and run (created through the gateway, as after an operator reinstall) and the
 * resources carry the finalizer; the operator observes, grants and writes status once per object. The
 * 10,000 run uses "adopt" so it finishes in minutes on a 2-core machine; both then run the same sweep.
 */
async function run(size: number, mode: FleetMode): Promise<void> {
  console.log(`\n--- ${size} Workstations (${mode})`);
  const kube = await startKubeApiServer({ crdDirs: [CRD_DIR], watchHistorySize: 5_000 });
  const fake = await startFakeWorkstations({ operationPollsToComplete: 0 });
  seedFakeCluster(fake);
  // Where a converging reconcile's time goes: every gateway RPC counted and timed per method.
  const calls: Record<string, { calls: number; seconds: number }> = {};
  let profiling = false;
  const gateway = createWorkstationsGateway({
    client: fake.client(),
    observer: ({ method, seconds }) => {
      if (!profiling) return;
      calls[method] ??= { calls: 0, seconds: 0 };
      const entry = calls[method];
      entry.calls += 1;
      entry.seconds += seconds;
    },
  });
  await createWorkstationFleet({ kc: kube.kubeConfig(), size, mode, gateway });
  const names = cloudNames(size);

  // Baseline 1: one full LIST.
  // The operator's lib/kube client (one per process, as in operator/main.ts); `kc` writes as users would.
  const opKube = operatorKubeClient(kube);
  const client = opKube.resource<Workstation>(WorkstationResource);
  let started = performance.now();
  const listed = await client.list();
  const listSeconds = (performance.now() - started) / 1000;
  console.log(`baseline LIST: ${listSeconds.toFixed(2)} s`);
  if (listed.items.length !== size) throw new Error(`listed ${listed.items.length}, expected ${size}`);

  // Baseline 2: the runtime alone — same informer, queue and workers, a reconciler that only reads the cache.
  const noop = new Manager({ kubeClient: opKube, clock: systemClock, logger, leaderElection: false });
  const noopInformer = noop.informer(client);
  let noopCount = 0;
  noop.addController<Workstation>({
    name: "noop",
    for: noopInformer,
    workers: WORKERS,
    reconciler: {
      async reconcile(key) {
        if (noopInformer.get(key)) noopCount += 1;
        return {};
      },
    },
  });
  started = performance.now();
  await noop.start();
  await waitFor("no-op loop", () => noopCount >= size, { timeoutMs: 600_000, intervalMs: 100 });
  const noopSeconds = (performance.now() - started) / 1000;
  await noop.stop();
  console.log(`baseline no-op loop: ${(size / noopSeconds).toFixed(0)} reconciles/s`);

  const rssBefore = rss();
  const { manager } = createOperator({
    kubeClient: opKube,
    gateway,
    clock: systemClock,
    logger,
    clusterName: CLUSTER,
    policy: { tierConfigs: { standard: CONFIG }, operationPollMs: 100, observeIntervalMs: 3_600_000 },
    workers: WORKERS,
    leaderElection: false,
  });
  const reconciles = async () =>
    (await manager.metrics.reconcileTotal.get()).values.reduce((sum, v) => sum + v.value, 0);
  const workstations = manager.informers.find((i) => i.name === "workstations")!;
  const readyCount = () =>
    workstations
      .list()
      .filter((w) =>
        (w as Workstation).status?.conditions?.some((c) => c.type === "Ready" && c.status === "True"),
      ).length;

  // Kubernetes API requests of the operator during provisioning, by verb and kind of path (undici's
  // diagnostics channel sees every request lib/kube sends).
  const kubeRequests: Record<string, number> = {};
  const countKube = (message: unknown) => {
    if (!profiling) return;
    const { request } = message as { request: { method: string; path: string } };
    const path = request.path.split("?")[0]!;
    const what = path.endsWith("/status")
      ? "status"
      : path.includes("/events")
        ? "events"
        : path.includes("watch=") || request.path.includes("watch=")
          ? "watch"
          : "object";
    const key = `${request.method} ${what}`;
    kubeRequests[key] = (kubeRequests[key] ?? 0) + 1;
  };
  diagnostics.subscribe("undici:request:create", countKube);
  started = performance.now();
  profiling = true;
  const cpuBefore = process.cpuUsage();
  const profiler = await startProfiler();
  await manager.start();
  let lastReport = Date.now();
  await waitFor(
    "fleet Ready",
    async () => {
      const ready = readyCount();
      if (Date.now() - lastReport > 10_000) {
        lastReport = Date.now();
        console.log(`  ${ready}/${size} Ready, ${await reconciles()} reconciles`);
      }
      return ready === size;
    },
    { timeoutMs: 3_600_000, intervalMs: 100 },
  );
  const provisionSeconds = (performance.now() - started) / 1000;
  const provisionReconciles = await reconciles();
  profiling = false;
  const cpu = process.cpuUsage(cpuBefore);
  diagnostics.unsubscribe("undici:request:create", countKube);
  await profiler?.stop(`operator-${size}-${mode}`);
  const histogramSum = async (h: { get(): Promise<{ values: { metricName?: string; value: number }[] }> }) =>
    (await h.get()).values.filter((v) => v.metricName?.endsWith("_sum")).reduce((sum, v) => sum + v.value, 0);
  const profile = {
    processCpuSeconds: round((cpu.user + cpu.system) / 1e6),
    cpuMsPerReconcile: round((cpu.user + cpu.system) / 1000 / provisionReconciles),
    reconcileSeconds: round(await histogramSum(manager.metrics.reconcileTime)),
    queueWaitSeconds: round(await histogramSum(manager.metrics.queueLatency)),
    workerSeconds: round(provisionSeconds * WORKERS),
    kubeRequestsPerWorkstation: Object.fromEntries(
      Object.entries(kubeRequests).map(([what, n]) => [what, round(n / size)]),
    ),
    gatewayCallsPerWorkstation: Object.fromEntries(
      Object.entries(calls).map(([method, c]) => [
        method,
        { calls: round(c.calls / size), msEach: round((c.seconds * 1000) / c.calls) },
      ]),
    ),
  };
  console.log(JSON.stringify(profile));
  console.log(`provisioned in ${provisionSeconds.toFixed(1)} s (${provisionReconciles} reconciles)`);
  const rssAfter = rss();
  if (fake.state.workstations().length !== size)
    throw new Error("fake holds a different number of workstations");

  // Steady sweep: every key once more; each pass polls GCP and finds nothing to change.
  const queue = manager.controllers.find((c) => c.name === "workstation")!.queue;
  const before = await reconciles();
  started = performance.now();
  for (const w of workstations.list()) queue.add(`${w.metadata?.namespace}/${w.metadata?.name}`);
  await waitFor("sweep", async () => (await reconciles()) >= before + size && queue.depth === 0, {
    timeoutMs: 3_600_000,
    intervalMs: 100,
  });
  const sweepSeconds = (performance.now() - started) / 1000;

  // Baseline 3: raw cloud reads with the same concurrency as the workers.
  const getCpuBefore = process.cpuUsage();
  const getSeconds = await pool(size, WORKERS, (i) => gateway.get(names[i]!));
  const getCpu = process.cpuUsage(getCpuBefore);
  const getCpuMs = (getCpu.user + getCpu.system) / 1000 / size;

  await manager.stop();
  await opKube.close();
  await gateway.close();
  await fake.stop();
  await kube.stop();

  const result = {
    workstations: size,
    mode,
    workers: WORKERS,
    convergence: {
      seconds: round(provisionSeconds),
      reconciles: provisionReconciles,
      reconcilesPerSecond: round(provisionReconciles / provisionSeconds),
      workstationsReadyPerSecond: round(size / provisionSeconds),
      reconcilesPerWorkstation: round(provisionReconciles / size),
    },
    profile,
    steadySweep: { seconds: round(sweepSeconds), reconcilesPerSecond: round(size / sweepSeconds) },
    memory: {
      rssBeforeOperatorBytes: rssBefore,
      rssAfterConvergenceBytes: rssAfter,
      operatorDeltaBytes: rssAfter - rssBefore,
      operatorDeltaPerWorkstationBytes: Math.round((rssAfter - rssBefore) / size),
    },
    baseline: {
      listSeconds: round(listSeconds),
      noopReconcilesPerSecond: round(size / noopSeconds),
      gatewayGetsPerSecond: round(size / getSeconds),
      // The whole process (client, gRPC server, fake) per raw get: what a reconcile is compared with.
      gatewayGetCpuMs: round(getCpuMs),
    },
    ratios: {
      // Issue 18 goal 5: converging reconciles/s ≥ 0.5× raw GetWorkstation calls/s.
      convergingReconcilesVsGatewayGets: round(provisionReconciles / provisionSeconds / (size / getSeconds)),
      steadySweepVsGatewayGets: round(size / sweepSeconds / (size / getSeconds)),
      steadySweepVsNoopLoop: round(size / sweepSeconds / (size / noopSeconds)),
    },
    note:
      "Everything runs in one process (API test server, fake Cloud Workstations over gRPC, operator); RSS includes " +
      "the servers, hence the before/after delta. Baselines: list = one LIST of all Workstations; noop = same runtime " +
      "with a cache-only reconciler (includes the initial LIST and watch); gatewayGets = raw GetWorkstation calls with " +
      `${WORKERS} in flight.`,
  };
  console.log(JSON.stringify(result, null, 2));
  writeBenchResult("operator", `${size}-${mode}`, result);
}

/**
 * BENCH_OPERATOR_CPU_PROFILE=dir: a V8 CPU profile of the provisioning phase only (not the setup), for
 * Chrome DevTools or a script that sums self time per module.
 */
async function startProfiler(): Promise<{ stop(name: string): Promise<void> } | undefined> {
  const dir = process.env.BENCH_OPERATOR_CPU_PROFILE;
  if (!dir) return undefined;
  const { Session } = await import("node:inspector/promises");
  const { mkdirSync, writeFileSync } = await import("node:fs");
  const session = new Session();
  session.connect();
  await session.post("Profiler.enable");
  await session.post("Profiler.start");
  return {
    async stop(name) {
      const { profile } = await session.post("Profiler.stop");
      mkdirSync(dir, { recursive: true });
      writeFileSync(`${dir}/${name}.cpuprofile`, JSON.stringify(profile));
      session.disconnect();
    },
  };
}

function round(n: number): number {
  return Math.round(n * 100) / 100;
}

// BENCH_OPERATOR_RUNS=200:adopt for a quick check; the committed results use the default runs. Issue 18
// goal 5 asks for 10,000 from scratch too: BENCH_OPERATOR_RUNS=1000:scratch,10000:scratch,10000:adopt.
const runs = (process.env.BENCH_OPERATOR_RUNS ?? "1000:scratch,10000:adopt")
  .split(",")
  .map((r) => r.split(":"));
for (const [size, mode] of runs) await run(Number(size), mode === "adopt" ? "adopt" : "scratch");
process.exit(0);
