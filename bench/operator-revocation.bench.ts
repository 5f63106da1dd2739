/**
 * Issue 18 goal 3 (operator side): a License with N live ContainerSessions (default 5,000) is revoked;
 * how long until every session shows `terminated`, and until License.status.activeSessions = 0, counted
 * from the revoke write — with the operator in its own process (operator/main.ts, default QPS/burst)
 * against the API test server in this process. Also counted: API writes per ended session (watch events
 * per session in the window) and Events in the namespace.
 * Baseline in the same run: raw status patches of another N sessions (16 in flight, the same size of
 * write the operator makes), before the operator starts.
 * Run: npm run bench -- operator-revocation   (BENCH_REVOCATION_SESSIONS=200 for a quick check;
 *      BENCH_OPERATOR_KUBE_QPS / _KUBE_BURST / _WORKERS run the operator with another rate limit or workers)
 *      → bench/results/operator-revocation.json
 */
import { mkdtempSync, rmSync } from "node:fs";
import { loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { CoreV1Api, CustomObjectsApi, PatchStrategy, setHeaderOptions, Watch } from "@kubernetes/client-node";
import { CRD_DIR } from "../crds/load.js";
import {
  type ContainerSession,
  ContainerSessionResource,
  type License,
  LicenseResource,
} from "../crds/types.js";
import { loadConfig } from "../operator/config.js";
import { SESSION_WORKERS_MIN } from "../operator/containersession/register.js";
import { createSessionFleet, inPool, revokeLicense } from "../operator/testing/session-fleet.js";
import { startFakeWorkstations } from "../test-support/fake-workstations/index.js";
import { startKubeApiServer } from "../test-support/kube-apiserver/index.js";
import { freePort } from "../test-support/postgres/server.js";
import { waitFor } from "../test-support/wait.js";
import { processCpuSeconds } from "./billing-cpu.js";
import { bundleOperator, spawnOperator } from "./operator-process.js";
import { writeBenchResult } from "./write-result.js";

const N = Number(process.env.BENCH_REVOCATION_SESSIONS ?? 5_000);
const MERGE_PATCH = setHeaderOptions("Content-Type", PatchStrategy.MergePatch);
const { group, version, plural } = ContainerSessionResource;
const load = () => loadavg().map((l) => Number(l.toFixed(2)));

const loadBefore = load();
const home = mkdtempSync(join(tmpdir(), "bench-revocation-"));
const kube = await startKubeApiServer({ crdDirs: [CRD_DIR], watchHistorySize: 4 * N + 1_000 });
const fake = await startFakeWorkstations({ operationPollsToComplete: 0 });
const kc = kube.kubeConfig();
kube.writeKubeconfig(join(home, "kubeconfig"));
const api = kc.makeApiClient(CustomObjectsApi);

let started = performance.now();
const fleet = await createSessionFleet(kc, "revoke", N);
const baselineFleet = await createSessionFleet(kc, "baseline", N);
console.log(`created 2 × ${N} live sessions in ${((performance.now() - started) / 1000).toFixed(1)} s`);

// Baseline: N raw status patches (a heartbeat-sized status write each), 16 in flight, no operator running.
started = performance.now();
await inPool(N, 16, (i) =>
  api.patchNamespacedCustomObjectStatus(
    {
      group,
      version,
      plural,
      namespace: baselineFleet.namespace,
      name: baselineFleet.sessionNames[i]!,
      body: { status: { state: "active", lastHeartbeatTime: new Date().toISOString() } },
    },
    MERGE_PATCH,
  ),
);
const rawPatchSeconds = (performance.now() - started) / 1000;
console.log(`baseline: ${N} raw status patches in ${rawPatchSeconds.toFixed(2)} s`);

// The client's rate limit and the workers: production defaults unless BENCH_OPERATOR_* say otherwise (ADR 0319).
const rateLimitEnv = Object.fromEntries(
  (["KUBE_QPS", "KUBE_BURST", "WORKERS"] as const)
    .filter((k) => process.env[`BENCH_OPERATOR_${k}`])
    .map((k) => [`OPERATOR_${k}`, process.env[`BENCH_OPERATOR_${k}`]!]),
);
// What the operator runs with: operator/config.ts's defaults unless overridden above.
const operatorConfig = loadConfig({
  WORKSTATIONS_PROJECT: "bench",
  WORKSTATIONS_REGION: "us-central1",
  WORKSTATIONS_CLUSTER: "bench",
  WORKSTATIONS_TIER_CONFIGS: "standard=coditect-standard",
  ...rateLimitEnv,
});
const rateLimit = operatorConfig.kubeClientRateLimit;
const probePort = await freePort();
const operator = spawnOperator({
  bundle: await bundleOperator(),
  kubeconfig: join(home, "kubeconfig"),
  home,
  workstationsEndpoint: fake.endpoint,
  env: { LOG_LEVEL: "warn", OPERATOR_PROBE_PORT: String(probePort), ...rateLimitEnv },
});
/** A counter of the operator's /metrics (summed over its labels). */
const operatorCounter = async (metric: string) =>
  (await (await fetch(`http://127.0.0.1:${probePort}/metrics`)).text())
    .split("\n")
    .filter((l) => l.startsWith(`${metric} `) || l.startsWith(`${metric}{`))
    .reduce((sum, l) => sum + Number(l.slice(l.lastIndexOf(" ") + 1)), 0);
const getLicense = async (of = fleet) =>
  (await api.getNamespacedCustomObject({
    group: LicenseResource.group,
    version: LicenseResource.version,
    plural: LicenseResource.plural,
    namespace: of.namespace,
    name: of.license,
  })) as License;
const listSessions = async (of = fleet) =>
  (await api.listNamespacedCustomObject({ group, version, plural, namespace: of.namespace })) as {
    items: ContainerSession[];
    metadata: { resourceVersion: string };
  };
// Settled: the operator's first pass over every live session of BOTH fleets (conditions) and both License
// counts — the baseline fleet's sessions are live too, and their first pass must not share the revocation's
// window (it did before: the revocation then waited behind up to N other writes for the rate limit).
const settleStarted = performance.now();
await waitFor(
  "operator settled on both live fleets",
  async () => {
    for (const of of [fleet, baselineFleet]) {
      if ((await getLicense(of)).status?.activeSessions !== N) return false;
      if (!(await listSessions(of)).items.every((s) => s.status?.conditions)) return false;
    }
    return true;
  },
  { timeoutMs: 1_800_000, intervalMs: 1_000 },
);
const settleSeconds = (performance.now() - settleStarted) / 1000;
// Steady state, as a revocation finds a running operator: its client's token bucket full again.
await new Promise((r) => setTimeout(r, (rateLimit.burst / rateLimit.qps) * 1000 + 1_000));
const rssBeforeRevoke = operator.rss();

const throttledBefore = await operatorCounter("coditect_kube_client_throttled_total");
const before = await listSessions();
const writes = new Map<string, number>();
let terminated = 0;
let terminatedAt = 0;
let zeroAt = 0;
const sessionWatch = await new Watch(kc).watch(
  `/apis/${group}/${version}/namespaces/${fleet.namespace}/${plural}`,
  { resourceVersion: before.metadata.resourceVersion },
  (type, obj: ContainerSession) => {
    if (type !== "MODIFIED") return;
    const name = obj.metadata!.name!;
    const count = (writes.get(name) ?? 0) + 1;
    writes.set(name, count);
    if (count === 1 && obj.status?.state === "terminated" && ++terminated === N)
      terminatedAt = performance.now();
  },
  () => undefined,
);
const licenseWatch = await new Watch(kc).watch(
  `/apis/${LicenseResource.group}/${LicenseResource.version}/namespaces/${fleet.namespace}/${LicenseResource.plural}`,
  { resourceVersion: before.metadata.resourceVersion },
  (_type, obj: License) => {
    if (!zeroAt && obj.spec.state === "revoked" && obj.status?.activeSessions === 0)
      zeroAt = performance.now();
  },
  () => undefined,
);

const operatorCpuAtRevoke = processCpuSeconds(operator.child.pid!);
const serversCpuAtRevoke = process.cpuUsage();
const revokedAt = performance.now();
await revokeLicense(kc, fleet);
await waitFor("every session terminated and activeSessions = 0", () => terminatedAt > 0 && zeroAt > 0, {
  timeoutMs: 1_800_000,
  intervalMs: 50,
});
// Let the pass after each end (retention check) run, then count what was written.
await waitFor(
  "no write for 3 s",
  async () => {
    const seen = [...writes.values()].reduce((a, b) => a + b, 0);
    await new Promise((r) => setTimeout(r, 3_000));
    return seen === [...writes.values()].reduce((a, b) => a + b, 0);
  },
  { timeoutMs: 600_000, intervalMs: 0 },
);
sessionWatch.abort();
licenseWatch.abort();
const events = (await kc.makeApiClient(CoreV1Api).listNamespacedEvent({ namespace: fleet.namespace })).items;
// CPU from the revoke to the end of the quiet period (the ends, the License's writes, the Event series).
const operatorCpuMs = (processCpuSeconds(operator.child.pid!) - operatorCpuAtRevoke) * 1000;
const serversCpu = process.cpuUsage(serversCpuAtRevoke);
const rssAfter = operator.rss();
const throttled = (await operatorCounter("coditect_kube_client_throttled_total")) - throttledBefore;
await operator.stop();
await fake.stop();
await kube.stop();
rmSync(home, { recursive: true, force: true });

const terminatedSeconds = (terminatedAt - revokedAt) / 1000;
const zeroSeconds = (zeroAt - revokedAt) / 1000;
const maxWrites = Math.max(...writes.values());
const result = {
  sessions: N,
  operator:
    "separate process (operator/main.ts bundled as in operator/Dockerfile, the client rate limit and workers below); revoked once both fleets are settled and the token bucket is full",
  loadAverageBefore: loadBefore,
  loadAverageAfter: load(),
  revocation: {
    allTerminatedSeconds: Number(terminatedSeconds.toFixed(2)),
    activeSessionsZeroSeconds: Number(zeroSeconds.toFixed(2)),
    sessionsTerminatedPerSecond: Number((N / terminatedSeconds).toFixed(1)),
    maxWritesPerEndedSession: maxWrites,
    totalSessionWrites: [...writes.values()].reduce((a, b) => a + b, 0),
    eventsInNamespace: events.length,
    licenseRevokedEventCount: events.find((e) => e.reason === "LicenseRevoked")?.count ?? null,
    // Requests that waited for the client's QPS/burst between the revoke and the end (ADR 0319).
    throttledKubeRequests: throttled,
  },
  kubeClientRateLimit: rateLimit,
  operatorWorkers: operatorConfig.workers,
  sessionWorkers: Math.max(operatorConfig.workers, SESSION_WORKERS_MIN),
  goals: {
    allTerminatedWithin10s: terminatedSeconds <= 10,
    activeSessionsZeroWithin15s: zeroSeconds <= 15,
    atMostOneWritePerEndedSession: maxWrites <= 1,
  },
  operatorSettleSeconds: Number(settleSeconds.toFixed(2)),
  cpu: {
    operatorMsPerEndedSession: Number((operatorCpuMs / N).toFixed(3)),
    // This process: the API test server and the benchmark's two watches.
    serversMsPerEndedSession: Number(((serversCpu.user + serversCpu.system) / 1000 / N).toFixed(3)),
  },
  memory: { operatorRssBeforeRevokeBytes: rssBeforeRevoke, operatorRssAfterBytes: rssAfter },
  baseline: {
    rawStatusPatchSeconds: Number(rawPatchSeconds.toFixed(2)),
    rawStatusPatchesPerSecond: Number((N / rawPatchSeconds).toFixed(1)),
  },
  ratios: { terminationsVsRawPatches: Number((N / terminatedSeconds / (N / rawPatchSeconds)).toFixed(2)) },
};
console.log(JSON.stringify(result, null, 2));
writeBenchResult("operator", "revocation", result);
process.exit(0);
