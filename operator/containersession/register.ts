/**
 * Registers the ContainerSession controllers on the operator's manager (called from operator/main.ts,
 * and from tests with the Kubernetes API test server): the session reconciler (expiry, termination,
 * downgrade, retention) and the License session counter.
 */
import type { KubeConfig } from "@kubernetes/client-node";
import type { Logger } from "pino";
import {
  type ContainerSession,
  ContainerSessionResource,
  type License,
  LicenseResource,
} from "../../crds/types.js";
import type { Clock } from "../../lib/clock.js";
import { specOrMetadataChanged } from "../runtime/controller.js";
import type { Informer } from "../runtime/informer.js";
import { CustomResourceClient, objectKey } from "../runtime/kube.js";
import type { Manager } from "../runtime/manager.js";
import { DEFAULT_SESSION_POLICY, type SessionPolicy } from "./decide.js";
import { ContainerSessionReconciler, LicenseSessionCounter, sessionDeleter } from "./reconciler.js";

export interface ContainerSessionControllerOptions {
  kubeConfig: KubeConfig;
  clock: Clock;
  logger: Logger;
  policy?: Partial<SessionPolicy>;
  workers?: number;
  /** The manager's License informer if one exists already (one informer per kind); else one is created. */
  licenses?: Informer<License>;
  rateLimiter?: { baseDelayMs?: number; maxDelayMs?: number };
}

export function registerContainerSessionControllers(
  manager: Manager,
  options: ContainerSessionControllerOptions,
) {
  const sessionClient = new CustomResourceClient<ContainerSession>(
    options.kubeConfig,
    ContainerSessionResource,
  );
  const licenseClient = new CustomResourceClient<License>(options.kubeConfig, LicenseResource);
  const sessions = manager.informer(sessionClient);
  const licenses = options.licenses ?? manager.informer(licenseClient);
  const deleteSession = sessionDeleter(options.kubeConfig);
  const reconciler = new ContainerSessionReconciler({
    sessions,
    licenses,
    writer: {
      patch: (ns, name, body) => sessionClient.patch(ns, name, body),
      patchStatus: (ns, name, body) => sessionClient.patchStatus(ns, name, body),
      delete: deleteSession,
    },
    events: manager.events,
    clock: options.clock,
    logger: options.logger,
    policy: { ...DEFAULT_SESSION_POLICY, ...options.policy },
  });
  const sessionsOf = (license: License) =>
    sessions
      .list()
      .filter(
        (s) =>
          s.metadata?.namespace === license.metadata?.namespace &&
          s.spec.licenseRef.name === license.metadata?.name,
      )
      .map(objectKey);
  const rateLimiter = options.rateLimiter ? { rateLimiter: options.rateLimiter } : {};
  manager.addController<ContainerSession>({
    name: "containersession",
    for: sessions,
    // Heartbeats (lastHeartbeatTime only) need no reconcile: the pending deadline re-reads them. A state
    // change (billing re-admitting or releasing, our own end) or new metadata does.
    shouldReconcile: (a, b) => a.status?.state !== b.status?.state || specOrMetadataChanged(a, b),
    // A License change (revocation, downgrade) re-decides every session of it.
    watches: [{ informer: licenses, map: sessionsOf }],
    reconciler,
    workers: options.workers ?? 4,
    ...rateLimiter,
  });
  const counter = new LicenseSessionCounter({
    sessions,
    licenses,
    writeLicenseStatus: (ns, name, body) => licenseClient.patchStatus(ns, name, body),
  });
  manager.addController<License>({
    name: "license-sessions",
    for: licenses,
    watches: [
      {
        informer: sessions,
        map: (s: ContainerSession) => [`${s.metadata?.namespace}/${s.spec.licenseRef.name}`],
        shouldReconcile: (a: ContainerSession, b: ContainerSession) => a.status?.state !== b.status?.state,
      },
    ],
    reconciler: counter,
    workers: 2,
    ...rateLimiter,
  });
  return { reconciler, counter, sessions, licenses };
}
