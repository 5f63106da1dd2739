/**
 * The Workstation fleet the operator throughput benchmarks start from (bench/operator.bench.ts in-process,
 * bench/operator-throughput.bench.ts with the operator in its own process): N Workstations, 100 per
 * namespace, each namespace with one active License, written as users would (client-node). "adopt" also
 * creates and starts every cloud workstation first (as after an operator reinstall) and gives the resources
 * the finalizer.
 */
import { randomUUID } from "node:crypto";
import { CoreV1Api, CustomObjectsApi, type KubeConfig } from "@kubernetes/client-node";
import type { Workstation } from "../crds/types.js";
import { ownerLabels, workstationIdFor } from "../operator/gcp/naming.js";
import type { WorkstationsGateway } from "../operator/gcp/workstations.js";
import type { FakeWorkstations } from "../test-support/fake-workstations/index.js";

export const CLUSTER = "projects/bench/locations/us-central1/workstationClusters/bench";
export const CONFIG = "coditect-standard";
const PER_NAMESPACE = 100;
const CLIENT_CONCURRENCY = 16;

export type FleetMode = "scratch" | "adopt";

/** Runs task(0..count-1) with `concurrency` in flight; resolves with the seconds it took. */
export async function pool(
  count: number,
  concurrency: number,
  task: (i: number) => Promise<unknown>,
): Promise<number> {
  const started = performance.now();
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < count) await task(next++);
    }),
  );
  return (performance.now() - started) / 1000;
}

export const namespaceOf = (i: number) => `tenant-${String(Math.floor(i / PER_NAMESPACE)).padStart(4, "0")}`;

/** The cloud workstation names of the fleet, index i ↔ Workstation ws-i. */
export function cloudNames(size: number): string[] {
  return Array.from(
    { length: size },
    (_, i) =>
      `${CLUSTER}/workstationConfigs/${CONFIG}/workstations/${workstationIdFor(namespaceOf(i), `ws-${i}`)}`,
  );
}

/** The fake's cluster and config, as the operator's WORKSTATIONS_* settings name them. */
export function seedFakeCluster(fake: FakeWorkstations): void {
  fake.seed({
    clusters: [{ name: CLUSTER }],
    configs: [{ name: `${CLUSTER}/workstationConfigs/${CONFIG}` }],
  });
}

export async function createWorkstationFleet(options: {
  kc: KubeConfig;
  size: number;
  mode: FleetMode;
  /** Needed for "adopt" (pre-provisions the cloud workstations). */
  gateway?: WorkstationsGateway;
}): Promise<void> {
  const { kc, size, mode } = options;
  const custom = kc.makeApiClient(CustomObjectsApi);
  const core = kc.makeApiClient(CoreV1Api);
  const namespaces = Math.ceil(size / PER_NAMESPACE);
  await pool(namespaces, CLIENT_CONCURRENCY, async (n) => {
    const namespace = namespaceOf(n * PER_NAMESPACE);
    await core.createNamespace({ body: { metadata: { name: namespace } } });
    await custom.createNamespacedCustomObject({
      group: "coditect.ai",
      version: "v1alpha1",
      plural: "licenses",
      namespace,
      body: {
        apiVersion: "coditect.ai/v1alpha1",
        kind: "License",
        metadata: { name: "lic", namespace, labels: { "app.kubernetes.io/managed-by": "coditect-billing" } },
        spec: {
          licenseId: randomUUID(),
          organization: namespace,
          tier: "pro",
          maxContainers: 5,
          seats: PER_NAMESPACE,
          expiresAt: null,
          provisioningType: "internal",
          state: "active",
        },
      },
    });
  });
  const createSeconds = await pool(size, CLIENT_CONCURRENCY, (i) => {
    const namespace = namespaceOf(i);
    const body: Workstation = {
      apiVersion: "coditect.ai/v1alpha1",
      kind: "Workstation",
      metadata: {
        name: `ws-${i}`,
        namespace,
        ...(mode === "adopt" ? { finalizers: ["coditect.ai/workstation"] } : {}),
      },
      spec: { licenseRef: { name: "lic" }, user: `user${i}@example.com`, tier: "standard" },
    };
    return custom.createNamespacedCustomObject({
      group: "coditect.ai",
      version: "v1alpha1",
      plural: "workstations",
      namespace,
      body,
    });
  });
  console.log(`created ${size} Workstations in ${createSeconds.toFixed(1)} s`);
  if (mode !== "adopt") return;
  const gateway = options.gateway;
  if (!gateway) throw new Error("adopt needs a gateway to pre-provision the cloud workstations");
  const names = cloudNames(size);
  const seconds = await pool(size, CLIENT_CONCURRENCY, async (i) => {
    const namespace = namespaceOf(i);
    await gateway.create(`${CLUSTER}/workstationConfigs/${CONFIG}`, workstationIdFor(namespace, `ws-${i}`), {
      labels: ownerLabels(namespace, `ws-${i}`),
    });
    await gateway.start(names[i]!);
  });
  console.log(`pre-provisioned ${size} running cloud workstations in ${seconds.toFixed(1)} s`);
}
