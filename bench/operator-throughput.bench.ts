/**
 * Issue 18 goal 5 with the operator measured alone (the ratio of record; bench/operator.bench.ts keeps the
 * everything-in-one-process numbers): converging reconciles/s of the operator — operator/main.ts bundled as
 * operator/Dockerfile does, in its own process (bench/operator-process.ts), production defaults except
 * OPERATOR_WORKERS=16 — against raw `GetWorkstation` calls/s from another process (bench/operator-gets-load.ts,
 * the same gateway, 16 in flight) to the same fake, in the same run. The API test server and the fake Cloud
 * Workstations run in this process.
 * Per size and mode ("scratch": the operator creates, starts and grants every workstation; "adopt": they
 * already run): seconds from the operator's caches synced (/readyz) to every Workstation Ready, reconciles per
 * controller (/metrics), cloud calls per Workstation, writes per Workstation (watch events) and Events, and
 * CPU per Workstation of each process from /proc (operator, this process = servers, the raw-get process).
 * Run: BENCH_OPERATOR_RUNS=1000:scratch,10000:scratch npm run bench -- operator-throughput
 *      → bench/results/operator-throughput-<size>-<mode>.json
 * BENCH_OPERATOR_NODE_FLAGS="--cpu-prof --cpu-prof-dir=/tmp/prof" profiles the operator process.
 */

import { execFile } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { loadavg, tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { CRD_DIR } from "../crds/load.js";
import { type Workstation, WorkstationResource } from "../crds/types.js";
import type { KubeObject } from "../lib/kube/objects.js";
import { EventResource } from "../lib/kube/resources.js";
import { createWorkstationsGateway } from "../operator/gcp/workstations.js";
import { operatorKubeClient } from "../operator/testing/kube-client.js";
import { startFakeWorkstations } from "../test-support/fake-workstations/index.js";
import { startKubeApiServer } from "../test-support/kube-apiserver/index.js";
import { freePort } from "../test-support/postgres/server.js";
import { waitFor } from "../test-support/wait.js";
import { processCpuSeconds } from "./billing-cpu.js";
import { cloudNames, createWorkstationFleet, type FleetMode, seedFakeCluster } from "./operator-fleet.js";
import { bundleOperator, spawnOperator } from "./operator-process.js";
import { writeBenchResult } from "./write-result.js";

const here = dirname(fileURLToPath(import.meta.url));
const WORKERS = Number(process.env.BENCH_OPERATOR_WORKERS ?? 16);
const load = () => loadavg().map((l) => Number(l.toFixed(2)));
const round = (n: number) => Math.round(n * 100) / 100;
const selfCpuSeconds = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e6;
};

/** Sums of a Prometheus text exposition's samples of `metric`, by the value of `label`. */
function samples(text: string, metric: string, label: string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const line of text.split("\n")) {
    if (!line.startsWith(`${metric}{`) && !line.startsWith(`${metric} `)) continue;
    const key = new RegExp(`${label}="([^"]*)"`).exec(line)?.[1] ?? "";
    out[key] = (out[key] ?? 0) + Number(line.slice(line.lastIndexOf(" ") + 1));
  }
  return out;
}

async function run(size: number, mode: FleetMode, bundle: string): Promise<void> {
  console.log(`\n--- ${size} Workstations (${mode}), operator in its own process`);
  const loadBefore = load();
  const home = mkdtempSync(join(tmpdir(), "bench-operator-throughput-"));
  const kube = await startKubeApiServer({ crdDirs: [CRD_DIR], watchHistorySize: 5_000 });
  const fake = await startFakeWorkstations({ operationPollsToComplete: 0 });
  seedFakeCluster(fake);
  kube.writeKubeconfig(join(home, "kubeconfig"));
  const setupGateway = createWorkstationsGateway({ client: fake.client() });
  await createWorkstationFleet({ kc: kube.kubeConfig(), size, mode, gateway: setupGateway });
  await setupGateway.close();

  // Every write to a Workstation shows as a MODIFIED event here; Ready = the Ready condition True.
  const benchKube = operatorKubeClient(kube);
  const workstations = benchKube.resource<Workstation>(WorkstationResource);
  const ready = new Set<string>();
  const isReady = (w: Workstation) =>
    w.status?.conditions?.some((c) => c.type === "Ready" && c.status === "True");
  let modified = 0;
  let relists = 0;
  let resourceVersion = "0";
  /** (Re)starts from a LIST: at the start, and if the watch falls out of the server's history (410). */
  const relist = async () => {
    const listed = await workstations.list();
    for (const w of listed.items) if (isReady(w)) ready.add(`${w.metadata?.namespace}/${w.metadata?.name}`);
    resourceVersion = listed.metadata?.resourceVersion ?? "0";
  };
  await relist();
  const watching = new AbortController();
  const watchLoop = (async () => {
    while (!watching.signal.aborted) {
      await workstations
        .watch({ resourceVersion, signal: watching.signal }, (event) => {
          const obj = event.object as KubeObject;
          if (obj.metadata?.resourceVersion) resourceVersion = obj.metadata.resourceVersion;
          if (event.type !== "MODIFIED") return;
          modified += 1;
          const w = obj as Workstation;
          if (isReady(w)) ready.add(`${w.metadata?.namespace}/${w.metadata?.name}`);
        })
        .catch(async (error) => {
          if (watching.signal.aborted) return;
          console.error(`watch ended: ${error}; listing and watching again`);
          relists += 1;
          await relist();
        });
    }
  })();

  const probePort = await freePort();
  const serversCpuAtSpawn = selfCpuSeconds();
  const spawnedAt = performance.now();
  const operator = spawnOperator({
    bundle,
    kubeconfig: join(home, "kubeconfig"),
    home,
    workstationsEndpoint: fake.endpoint,
    env: {
      OPERATOR_WORKERS: String(WORKERS),
      OPERATOR_PROBE_PORT: String(probePort),
      OPERATOR_OPERATION_POLL_MS: "100",
      OPERATOR_OBSERVE_INTERVAL_MS: String(3_600_000),
      LOG_LEVEL: process.env.BENCH_OPERATOR_LOG_LEVEL ?? "warn",
      // The production client rate limit (600/1200) unless overridden: it caps provisioning at ≈ 600 / 7
      // requests per Workstation (ADR 0315), so BENCH_OPERATOR_KUBE_QPS=10000 shows the operator's own pace.
      ...(process.env.BENCH_OPERATOR_KUBE_QPS
        ? { OPERATOR_KUBE_QPS: process.env.BENCH_OPERATOR_KUBE_QPS }
        : {}),
      ...(process.env.BENCH_OPERATOR_KUBE_BURST
        ? { OPERATOR_KUBE_BURST: process.env.BENCH_OPERATOR_KUBE_BURST }
        : {}),
    },
  });
  const probe = (path: string) => fetch(`http://127.0.0.1:${probePort}${path}`);
  await waitFor(
    "operator caches synced",
    async () => {
      if (operator.child.exitCode !== null) throw new Error(`operator exited ${operator.child.exitCode}`);
      return (await probe("/readyz").catch(() => undefined))?.status === 200;
    },
    { timeoutMs: 600_000, intervalMs: 20 },
  );
  const syncedAt = performance.now();
  const operatorCpuAtSync = processCpuSeconds(operator.child.pid!);
  const serversCpuAtSync = selfCpuSeconds();
  let lastReport = Date.now();
  await waitFor(
    "fleet Ready",
    () => {
      if (Date.now() - lastReport > 10_000) {
        lastReport = Date.now();
        console.log(`  ${ready.size}/${size} Ready`);
      }
      return ready.size === size;
    },
    { timeoutMs: 3_600_000, intervalMs: 50 },
  );
  const readyAt = performance.now();
  const operatorCpu = processCpuSeconds(operator.child.pid!) - operatorCpuAtSync;
  const serversCpu = selfCpuSeconds() - serversCpuAtSync;
  const metrics = await (await probe("/metrics")).text();
  const modifiedAtReady = modified;
  await operator.stop();
  watching.abort();
  await watchLoop;
  const events = (await benchKube.resource(EventResource).list()).items.length;
  await benchKube.close();

  // Baseline: raw GetWorkstation calls from another process, the same concurrency, operator stopped.
  const namesFile = join(home, "names.json");
  writeFileSync(namesFile, JSON.stringify(cloudNames(size)));
  const serversCpuBeforeGets = selfCpuSeconds();
  const { stdout } = await promisify(execFile)(
    process.execPath,
    [
      "--import",
      "tsx",
      join(here, "operator-gets-load.ts"),
      `${fake.endpoint.host}:${fake.endpoint.port}`,
      namesFile,
      String(WORKERS),
    ],
    { cwd: join(here, ".."), maxBuffer: 1 << 20 },
  );
  const gets = JSON.parse(stdout.trim().split("\n").at(-1)!) as {
    seconds: number;
    getsPerSecond: number;
    cpuMsPerGet: number;
  };
  // The fake's side of the gets (includes the loader's warm-up calls, ≤ 200: read it as an upper bound).
  const serversCpuPerGetMs = ((selfCpuSeconds() - serversCpuBeforeGets) * 1000) / size;
  await fake.stop();
  await kube.stop();
  rmSync(home, { recursive: true, force: true });

  const convergeSeconds = (readyAt - syncedAt) / 1000;
  const reconciles = samples(metrics, "controller_runtime_reconcile_total", "controller");
  const workstationReconciles = reconciles.workstation ?? 0;
  const cloudCalls = samples(metrics, "coditect_workstations_api_calls_total", "method");
  const reconcilesPerSecond = workstationReconciles / convergeSeconds;
  const perWs = (n: number) => round(n / size);
  const result = {
    workstations: size,
    mode,
    workers: WORKERS,
    operator:
      "separate process (operator/main.ts bundled as in operator/Dockerfile; OPERATOR_WORKERS as above, " +
      "OPERATOR_OPERATION_POLL_MS=100, LOG_LEVEL warn, client rate limit as kubeClientRateLimit)",
    kubeClientRateLimit: {
      qps: process.env.BENCH_OPERATOR_KUBE_QPS ?? "default (600)",
      burst: process.env.BENCH_OPERATOR_KUBE_BURST ?? "default (1200)",
    },
    loadAverageBefore: loadBefore,
    loadAverageAfter: load(),
    startup: { spawnToCachesSyncedSeconds: round((syncedAt - spawnedAt) / 1000) },
    convergence: {
      seconds: round(convergeSeconds),
      workstationReconciles,
      reconcilesByController: reconciles,
      reconcilesPerSecond: round(reconcilesPerSecond),
      workstationsReadyPerSecond: round(size / convergeSeconds),
      reconcilesPerWorkstation: perWs(workstationReconciles),
      cloudCallsPerWorkstation: Object.fromEntries(Object.entries(cloudCalls).map(([m, n]) => [m, perWs(n)])),
      // Seen on the benchmark's watch (a relist after 410 Gone would miss some: see watchRelists).
      workstationWritesPerWorkstation: perWs(modifiedAtReady),
      watchRelists: relists,
      eventsPerWorkstation: perWs(events),
      throttledKubeRequests: samples(metrics, "coditect_kube_client_throttled_total", "")[""] ?? 0,
    },
    cpu: {
      operatorMsPerWorkstation: round((operatorCpu * 1000) / size),
      operatorMsPerReconcile: round((operatorCpu * 1000) / workstationReconciles),
      operatorUtilization: round(operatorCpu / convergeSeconds),
      serversMsPerWorkstation: round((serversCpu * 1000) / size),
      serversAtSpawnToSyncSeconds: round(serversCpuAtSync - serversCpuAtSpawn),
    },
    baseline: {
      gatewayGetsPerSecond: round(gets.getsPerSecond),
      gatewayGetsSeconds: round(gets.seconds),
      loadCpuMsPerGet: round(gets.cpuMsPerGet),
      serversCpuMsPerGet: round(serversCpuPerGetMs),
    },
    ratios: {
      // Issue 18 goal 5: converging reconciles/s ≥ 0.5× raw GetWorkstation calls/s.
      convergingReconcilesVsGatewayGets: round(reconcilesPerSecond / gets.getsPerSecond),
      // The same in client CPU: a raw get's client CPU over a converging reconcile's operator CPU.
      cpuGetVsReconcile: round(gets.cpuMsPerGet / ((operatorCpu * 1000) / workstationReconciles)),
    },
  };
  console.log(JSON.stringify(result, null, 2));
  // A lifted rate limit is another experiment, not the run of record: its own file.
  const qps = process.env.BENCH_OPERATOR_KUBE_QPS;
  writeBenchResult("operator-throughput", `${size}-${mode}${qps ? `-qps${qps}` : ""}`, result);
}

const bundle = await bundleOperator();
const runs = (process.env.BENCH_OPERATOR_RUNS ?? "1000:scratch,10000:scratch")
  .split(",")
  .map((r) => r.split(":"));
for (const [size, mode] of runs) await run(Number(size), mode === "adopt" ? "adopt" : "scratch", bundle);
process.exit(0);
