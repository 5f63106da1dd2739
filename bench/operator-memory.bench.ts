/**
 * Issue 18 goal 4: the operator's own memory with N Workstations + N ContainerSessions cached (default
 * 10,000 each), the operator in its own process (bundled as operator/Dockerfile builds it, read from
 * /proc/<pid>/status). Baseline in the same run: the same operator process against the same API server
 * with no objects. Workstations are "adopted" (their cloud workstations already run, as after a
 * reinstall) so the fleet converges in minutes; sessions are live (heartbeat just written).
 * Run: npm run bench -- operator-memory   (BENCH_OPERATOR_MEMORY_OBJECTS=300 for a quick check)
 *      → bench/results/operator-memory.json
 */
import { randomUUID } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { CoreV1Api, CustomObjectsApi, PatchStrategy, setHeaderOptions } from "@kubernetes/client-node";
import { CRD_DIR } from "../crds/load.js";
import type { ContainerSession, Workstation } from "../crds/types.js";
import { ownerLabels, workstationIdFor } from "../operator/gcp/naming.js";
import { createWorkstationsGateway } from "../operator/gcp/workstations.js";
import { inPool } from "../operator/testing/session-fleet.js";
import { startFakeWorkstations } from "../test-support/fake-workstations/index.js";
import { startKubeApiServer } from "../test-support/kube-apiserver/index.js";
import { waitFor } from "../test-support/wait.js";
import { bundleOperator, spawnOperator } from "./operator-process.js";
import { writeBenchResult } from "./write-result.js";

const N = Number(process.env.BENCH_OPERATOR_MEMORY_OBJECTS ?? 10_000);
const PER_NAMESPACE = 100;
const CLUSTER = "projects/bench/locations/us-central1/workstationClusters/bench";
const CONFIG = "coditect-standard";
const MERGE_PATCH = setHeaderOptions("Content-Type", PatchStrategy.MergePatch);
const load = () => loadavg().map((l) => Number(l.toFixed(2)));
const crd = { group: "coditect.ai", version: "v1alpha1" };
process.env.METADATA_SERVER_DETECTION = "none";

const loadBefore = load();
const home = mkdtempSync(join(tmpdir(), "bench-operator-memory-"));
const kube = await startKubeApiServer({ crdDirs: [CRD_DIR], watchHistorySize: 5_000 });
const fake = await startFakeWorkstations({ operationPollsToComplete: 0 });
fake.seed({ clusters: [{ name: CLUSTER }], configs: [{ name: `${CLUSTER}/workstationConfigs/${CONFIG}` }] });
const kc = kube.kubeConfig();
kube.writeKubeconfig(join(home, "kubeconfig"));
const custom = kc.makeApiClient(CustomObjectsApi);
const core = kc.makeApiClient(CoreV1Api);
const bundle = await bundleOperator();
const operatorOptions = {
  bundle,
  kubeconfig: join(home, "kubeconfig"),
  home,
  workstationsEndpoint: fake.endpoint,
  env: { LOG_LEVEL: "info", OPERATOR_WORKERS: "16" },
};
const settle = () => new Promise((r) => setTimeout(r, 5_000));

// Baseline: the operator with empty caches.
const empty = spawnOperator(operatorOptions);
await empty.waitForLog("controllers started");
await settle();
const rssEmpty = empty.rss();
const gcEmpty = await empty.afterGc();
await empty.stop();
console.log(`operator with empty caches: ${(rssEmpty / 2 ** 20).toFixed(1)} MiB`);

const namespaces = Math.ceil(N / PER_NAMESPACE);
const ns = (n: number) => `tenant-${String(n).padStart(4, "0")}`;
let started = performance.now();
await inPool(namespaces, 16, async (n) => {
  const namespace = ns(n);
  await core.createNamespace({ body: { metadata: { name: namespace } } });
  await custom.createNamespacedCustomObject({
    ...crd,
    plural: "licenses",
    namespace,
    body: {
      apiVersion: "coditect.ai/v1alpha1",
      kind: "License",
      metadata: { name: "lic", namespace, labels: { "app.kubernetes.io/managed-by": "coditect-billing" } },
      spec: {
        licenseId: randomUUID(),
        organization: namespace,
        tier: "enterprise",
        maxContainers: PER_NAMESPACE,
        seats: PER_NAMESPACE,
        expiresAt: null,
        provisioningType: "internal",
        state: "active",
      },
    },
  });
});
const gateway = createWorkstationsGateway({ client: fake.client() });
await inPool(N, 16, async (i) => {
  const namespace = ns(Math.floor(i / PER_NAMESPACE));
  const workstation: Workstation = {
    apiVersion: "coditect.ai/v1alpha1",
    kind: "Workstation",
    metadata: { name: `ws-${i}`, namespace, finalizers: ["coditect.ai/workstation"] },
    spec: { licenseRef: { name: "lic" }, user: `user${i}@example.com`, tier: "standard" },
  };
  await custom.createNamespacedCustomObject({ ...crd, plural: "workstations", namespace, body: workstation });
  const id = workstationIdFor(namespace, `ws-${i}`);
  await gateway.create(`${CLUSTER}/workstationConfigs/${CONFIG}`, id, {
    labels: ownerLabels(namespace, `ws-${i}`),
  });
  await gateway.start(`${CLUSTER}/workstationConfigs/${CONFIG}/workstations/${id}`);
  const session: ContainerSession = {
    apiVersion: "coditect.ai/v1alpha1",
    kind: "ContainerSession",
    metadata: { name: `cs-${i}`, namespace },
    spec: {
      sessionId: randomUUID(),
      licenseRef: { name: "lic" },
      containerId: `container-${i}`,
      containerType: "docker",
      hostname: `host-${i}.example.com`,
    },
  };
  await custom.createNamespacedCustomObject({
    ...crd,
    plural: "containersessions",
    namespace,
    body: session,
  });
  await custom.patchNamespacedCustomObjectStatus(
    {
      ...crd,
      plural: "containersessions",
      namespace,
      name: `cs-${i}`,
      body: {
        status: {
          state: "active",
          lastHeartbeatTime: new Date().toISOString(),
          lastReport: { cpuPercent: 12.5, memoryBytes: 512 * 2 ** 20, uptimeSeconds: 3_600 },
        },
      },
    },
    MERGE_PATCH,
  );
});
await gateway.close();
console.log(
  `created ${N} Workstations (cloud side running) + ${N} sessions in ${((performance.now() - started) / 1000).toFixed(1)} s`,
);

const operator = spawnOperator(operatorOptions);
started = performance.now();
await operator.waitForLog("controllers started", 1_800_000);
const syncedSeconds = (performance.now() - started) / 1000;
const rssSynced = operator.rss();
const listAll = async <T>(plural: string) =>
  ((await custom.listClusterCustomObject({ ...crd, plural })) as { items: T[] }).items;
await waitFor(
  "every Workstation Ready and every session reconciled",
  async () =>
    (await listAll<Workstation>("workstations")).every((w) =>
      w.status?.conditions?.some((c) => c.type === "Ready" && c.status === "True"),
    ) && (await listAll<ContainerSession>("containersessions")).every((s) => s.status?.conditions),
  { timeoutMs: 3_600_000, intervalMs: 5_000 },
);
const convergedSeconds = (performance.now() - started) / 1000;
await settle();
const rssConverged = operator.rss();
const gcConverged = await operator.afterGc();
await operator.stop();
await fake.stop();
await kube.stop();
rmSync(home, { recursive: true, force: true });

const objects = 2 * N;
const perObject = Math.round((rssConverged - rssEmpty) / objects);
const heapPerObject = Math.round((gcConverged.heapUsed - gcEmpty.heapUsed) / objects);
const result = {
  workstations: N,
  containerSessions: N,
  operator: "separate process: operator/main.ts bundled as in operator/Dockerfile, 16 workers",
  // What the operator process ran with (the image: --max-old-space-size-percentage=60 of 256 Mi ≈ 154 MB).
  nodeFlags: process.env.BENCH_OPERATOR_NODE_FLAGS ?? "",
  mallocArenaMax: process.env.BENCH_OPERATOR_MALLOC_ARENA_MAX ?? null,
  operatorEnv: process.env.BENCH_OPERATOR_ENV ?? "",
  loadAverageBefore: loadBefore,
  loadAverageAfter: load(),
  memory: {
    rssEmptyCachesBytes: rssEmpty,
    rssCachesSyncedBytes: rssSynced,
    rssConvergedBytes: rssConverged,
    perCachedObjectBytes: perObject,
    afterGc: {
      emptyCaches: gcEmpty,
      converged: gcConverged,
      heapPerCachedObjectBytes: heapPerObject,
      rssPerCachedObjectBytes: Math.round((gcConverged.rss - gcEmpty.rss) / objects),
    },
  },
  timing: {
    cachesSyncedSeconds: Number(syncedSeconds.toFixed(1)),
    convergedSeconds: Number(convergedSeconds.toFixed(1)),
  },
  goals: {
    perObjectAtMost8KiB: perObject <= 8 * 1024,
    heapPerObjectAtMost8KiB: heapPerObject <= 8 * 1024,
    rssAtMost250MB: rssConverged <= 250 * 1000 * 1000,
    rssAfterGcAtMost250MB: gcConverged.rss <= 250 * 1000 * 1000,
  },
  baseline: {
    note: "the same operator process with empty caches, same API server, same run",
    rssEmptyCachesBytes: rssEmpty,
  },
};
console.log(JSON.stringify(result, null, 2));
writeBenchResult("operator", "memory", result);
process.exit(0);
