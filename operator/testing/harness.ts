/**
 * Test infrastructure for the operator's integration tests and benchmark (not used in production):
 * starts the Kubernetes API test server (with the CRDs from crds/) and the fake Cloud Workstations (seeded
 * with one cluster and its configs), creates objects in fresh namespaces, and starts operator instances
 * wired to both through the real clients. Assertions read what the cluster and the fake hold.
 */
import { randomBytes, randomUUID } from "node:crypto";
import {
  CoreV1Api,
  CustomObjectsApi,
  type KubeConfig,
  PatchStrategy,
  setHeaderOptions,
} from "@kubernetes/client-node";
import { pino } from "pino";
import { CRD_DIR } from "../../crds/load.js";
import { type License, LicenseResource, type Workstation, WorkstationResource } from "../../crds/types.js";
import { systemClock } from "../../lib/clock.js";
import type { KubeClient } from "../../lib/kube/client.js";
import { type FakeWorkstations, startFakeWorkstations } from "../../test-support/fake-workstations/index.js";
import { type KubeApiServer, startKubeApiServer } from "../../test-support/kube-apiserver/index.js";
import { type Truthy, waitFor } from "../../test-support/wait.js";
import { workstationIdFor } from "../gcp/naming.js";
import { createWorkstationsGateway } from "../gcp/workstations.js";
import { createOperator, type Operator, type OperatorOptions } from "../operator.js";
import type { CrashInjector } from "../runtime/crash.js";
import { operatorKubeClient } from "./kube-client.js";

export const CLUSTER = "projects/coditect-test/locations/us-central1/workstationClusters/coditect-ws";
export const TIER_CONFIGS = { standard: "coditect-standard", power: "coditect-power" } as const;
export const OPERATOR_NAMESPACE = "coditect-operator";
/** Fast polling for tests: operations are polled every 100 ms, failed ones retried after 500 ms. */
export const TEST_POLICY = { tierConfigs: { ...TIER_CONFIGS }, operationPollMs: 100, operationRetryMs: 500 };

export interface Harness {
  kube: KubeApiServer;
  fake: FakeWorkstations;
  /** An independent client-node config, for reading and writing as users and billing would. */
  kubeConfig: KubeConfig;
  /** A lib/kube client as the operator's (one per started operator; each closed by stop()). */
  kubeClient(): KubeClient;
  custom: CustomObjectsApi;
  core: CoreV1Api;
  /** A fresh namespace with an active License named "lic". */
  tenant(license?: Partial<License["spec"]>): Promise<string>;
  createWorkstation(namespace: string, name: string, spec?: Partial<Workstation["spec"]>): Promise<void>;
  getWorkstation(namespace: string, name: string): Promise<Workstation | null>;
  patchWorkstation(namespace: string, name: string, body: object): Promise<void>;
  patchLicense(namespace: string, body: Partial<License["spec"]>): Promise<void>;
  deleteWorkstation(namespace: string, name: string): Promise<void>;
  /** The cloud workstation name the operator derives for namespace/name. */
  cloudName(namespace: string, name: string, tier?: keyof typeof TIER_CONFIGS): string;
  startOperator(options?: Partial<OperatorOptions> & { crashInjector?: CrashInjector }): Promise<Operator>;
  stop(): Promise<void>;
}

const quiet = pino({ level: process.env.OPERATOR_TEST_LOG ?? "silent" });
const mergePatch = setHeaderOptions("Content-Type", PatchStrategy.MergePatch);

export async function startHarness(
  options: { operationPollsToComplete?: number; watchHistorySize?: number } = {},
): Promise<Harness> {
  process.env.METADATA_SERVER_DETECTION = "none";
  const kube = await startKubeApiServer({
    crdDirs: [CRD_DIR],
    bookmarkIntervalMs: 2_000,
    ...(options.watchHistorySize ? { watchHistorySize: options.watchHistorySize } : {}),
  });
  const fake = await startFakeWorkstations({
    operationPollsToComplete: options.operationPollsToComplete ?? 1,
  });
  fake.seed({
    clusters: [{ name: CLUSTER }],
    configs: Object.values(TIER_CONFIGS).map((id) => ({ name: `${CLUSTER}/workstationConfigs/${id}` })),
  });
  const kubeConfig = kube.kubeConfig();
  const custom = kubeConfig.makeApiClient(CustomObjectsApi);
  const core = kubeConfig.makeApiClient(CoreV1Api);
  await core.createNamespace({ body: { metadata: { name: OPERATOR_NAMESPACE } } });
  const operators: Operator[] = [];
  const gateways: { close(): Promise<void> }[] = [];
  const clients: KubeClient[] = [];
  const kubeClient = () => {
    const client = operatorKubeClient(kube);
    clients.push(client);
    return client;
  };
  const ws = {
    group: WorkstationResource.group,
    version: WorkstationResource.version,
    plural: WorkstationResource.plural,
  };
  const lic = {
    group: LicenseResource.group,
    version: LicenseResource.version,
    plural: LicenseResource.plural,
  };

  return {
    kube,
    fake,
    kubeConfig,
    kubeClient,
    custom,
    core,
    async tenant(license = {}) {
      const namespace = `t-${randomBytes(4).toString("hex")}`;
      await core.createNamespace({ body: { metadata: { name: namespace } } });
      const body: License = {
        apiVersion: "coditect.ai/v1alpha1",
        kind: "License",
        metadata: { name: "lic", namespace, labels: { "app.kubernetes.io/managed-by": "coditect-billing" } },
        spec: {
          licenseId: randomUUID(),
          organization: namespace,
          tier: "pro",
          maxContainers: 5,
          seats: 1,
          workstationTier: "standard",
          expiresAt: new Date(Date.now() + 30 * 86_400_000).toISOString(),
          provisioningType: "paid",
          state: "active",
          ...license,
        },
      };
      await custom.createNamespacedCustomObject({ ...lic, namespace, body });
      return namespace;
    },
    async createWorkstation(namespace, name, spec = {}) {
      const body: Workstation = {
        apiVersion: "coditect.ai/v1alpha1",
        kind: "Workstation",
        metadata: { name, namespace },
        spec: { licenseRef: { name: "lic" }, user: `${name}@example.com`, tier: "standard", ...spec },
      };
      await custom.createNamespacedCustomObject({ ...ws, namespace, body });
    },
    async getWorkstation(namespace, name) {
      try {
        return (await custom.getNamespacedCustomObject({ ...ws, namespace, name })) as Workstation;
      } catch (error) {
        if ((error as { code?: number }).code === 404) return null;
        throw error;
      }
    },
    async patchWorkstation(namespace, name, body) {
      await custom.patchNamespacedCustomObject({ ...ws, namespace, name, body }, mergePatch);
    },
    async patchLicense(namespace, spec) {
      await custom.patchNamespacedCustomObject(
        { ...lic, namespace, name: "lic", body: { spec } },
        mergePatch,
      );
    },
    async deleteWorkstation(namespace, name) {
      await custom.deleteNamespacedCustomObject({ ...ws, namespace, name });
    },
    cloudName(namespace, name, tier = "standard") {
      return `${CLUSTER}/workstationConfigs/${TIER_CONFIGS[tier]}/workstations/${workstationIdFor(namespace, name)}`;
    },
    async startOperator(overrides = {}) {
      const gateway = createWorkstationsGateway({ client: fake.client() });
      gateways.push(gateway);
      const operator = createOperator({
        // Each operator its own client, as each would be its own process.
        kubeClient: kubeClient(),
        gateway,
        clock: systemClock,
        logger: quiet,
        clusterName: CLUSTER,
        policy: TEST_POLICY,
        workers: 4,
        leaderElection: {
          namespace: OPERATOR_NAMESPACE,
          name: "coditect-operator",
          identity: `op-${randomBytes(3).toString("hex")}`,
          leaseDurationMs: 2_000,
          renewDeadlineMs: 1_500,
          retryPeriodMs: 200,
        },
        rateLimiter: { baseDelayMs: 20, maxDelayMs: 2_000 },
        ...overrides,
      });
      operators.push(operator);
      await operator.manager.start();
      return operator;
    },
    async stop() {
      for (const operator of operators) await operator.manager.stop();
      await Promise.all(gateways.map((g) => g.close()));
      await Promise.all(clients.map((c) => c.close()));
      await fake.stop();
      await kube.stop();
    },
  };
}

/** Polls `probe` until it returns a truthy value; fails with `what` and the last value after `timeoutMs`. */
export function eventually<T>(
  what: string,
  probe: () => Promise<T> | T,
  timeoutMs = 45_000,
): Promise<Truthy<T>> {
  return waitFor(what, probe, { timeoutMs });
}

/** The status of condition `type`, e.g. "True". */
export function conditionOf(
  ws: Workstation | null,
  type: string,
): { status: string; reason: string } | undefined {
  return ws?.status?.conditions?.find((c) => c.type === type);
}
