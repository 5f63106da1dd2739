/**
 * Wires the operator: one manager, the License and Workstation informers, the Workstation controller.
 * main.ts calls this with production parts; tests and the benchmark call it with the API test server,
 * the fake Cloud Workstations and, for crash tests, a CrashInjector around every external port.
 */
import type { Logger } from "pino";
import { type License, LicenseResource, type Workstation, WorkstationResource } from "../crds/types.js";
import type { Clock } from "../lib/clock.js";
import type { KubeClient } from "../lib/kube/client.js";
import type { WorkstationsGateway } from "./gcp/workstations.js";
import { type CrashInjector, withCrashInjection } from "./runtime/crash.js";
import type { Informer } from "./runtime/informer.js";
import { Manager, type ManagerOptions } from "./runtime/manager.js";
import type { OperatorMetrics } from "./runtime/metrics.js";
import { DEFAULT_POLICY, type WorkstationPolicy } from "./workstation/decide.js";
import { WorkstationReconciler, workstationLicenseIndex } from "./workstation/reconciler.js";

export interface OperatorOptions {
  /** The process's one Kubernetes client, with the QPS/burst rate limit (OPERATOR_KUBE_QPS/BURST). */
  kubeClient: KubeClient;
  gateway: WorkstationsGateway;
  clock: Clock;
  logger: Logger;
  /** projects/P/locations/L/workstationClusters/C */
  clusterName: string;
  policy: Partial<WorkstationPolicy> & Pick<WorkstationPolicy, "tierConfigs">;
  workers?: number;
  leaderElection: ManagerOptions["leaderElection"];
  probePort?: number;
  relistPeriodMs?: number;
  watchSilenceMs?: number;
  /** Crash tests: counts (and at the chosen call, fails) every cloud call and Kubernetes write. */
  crashInjector?: CrashInjector;
  onFatal?: (reason: string) => void;
  /** The metrics the manager registers on (main.ts shares it with the Workstations gateway). */
  metrics?: OperatorMetrics;
  /** Per-key retry pacing (tests shorten the first delays). */
  rateLimiter?: { baseDelayMs?: number; maxDelayMs?: number };
}

export interface Operator {
  manager: Manager;
  reconciler: WorkstationReconciler;
  /** The shared caches: other controllers on this manager reuse them (one informer per kind). */
  licenses: Informer<License>;
  workstations: Informer<Workstation>;
}

export function createOperator(options: OperatorOptions): Operator {
  const manager = new Manager({
    kubeClient: options.kubeClient,
    clock: options.clock,
    logger: options.logger,
    leaderElection: options.leaderElection,
    ...(options.probePort !== undefined ? { probePort: options.probePort } : {}),
    ...(options.relistPeriodMs ? { relistPeriodMs: options.relistPeriodMs } : {}),
    ...(options.watchSilenceMs ? { watchSilenceMs: options.watchSilenceMs } : {}),
    ...(options.onFatal ? { onFatal: options.onFatal } : {}),
    ...(options.metrics ? { metrics: options.metrics } : {}),
  });
  const workstationClient = manager.client<Workstation>(WorkstationResource);
  const licenses = manager.informer(manager.client<License>(LicenseResource));
  // Indexed by License: a License change maps to its Workstations without scanning all of them.
  const workstations = manager.informer(workstationClient, { indexBy: workstationLicenseIndex });
  const crash = options.crashInjector;
  const reconciler = new WorkstationReconciler({
    workstations,
    licenses,
    writer: crash ? withCrashInjection(workstationClient, "kube", crash) : workstationClient,
    gateway: crash ? withCrashInjection(options.gateway, "gcp", crash) : options.gateway,
    events: manager.events,
    clock: options.clock,
    logger: options.logger,
    policy: { ...DEFAULT_POLICY, ...options.policy },
    clusterName: options.clusterName,
  });
  manager.addController<Workstation>({
    name: "workstation",
    for: workstations,
    watches: [{ informer: licenses, map: (license: License) => reconciler.workstationsOf(license) }],
    reconciler,
    workers: options.workers ?? 4,
    ...(options.rateLimiter ? { rateLimiter: options.rateLimiter } : {}),
  });
  return { manager, reconciler, licenses, workstations };
}
