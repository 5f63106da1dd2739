/**
 * Registers the ContainerSession controllers on the operator's manager (called from operator/main.ts,
 * and from tests with the Kubernetes API test server): the session reconciler (expiry, termination,
 * downgrade, retention) and the License status (sessions count, Ready: operator/license/status.ts).
 */
import type { Logger } from "pino";
import {
  type ContainerSession,
  ContainerSessionResource,
  type License,
  LicenseResource,
} from "../../crds/types.js";
import type { Clock } from "../../lib/clock.js";
import { LicenseStatusReconciler } from "../license/status.js";
import { specOrMetadataChanged } from "../runtime/controller.js";
import type { Informer } from "../runtime/informer.js";
import { objectKey } from "../runtime/kube.js";
import type { Manager } from "../runtime/manager.js";
import { DEFAULT_SESSION_POLICY, type SessionPolicy } from "./decide.js";
import { ContainerSessionReconciler, sessionLicenseIndex } from "./reconciler.js";

/**
 * The ContainerSession controller's least concurrency in the operator process (operator/main.ts): its
 * reconciles make no cloud call, only Kubernetes writes that the client's QPS/burst paces, so a revocation's
 * fan-out should be bounded by that budget, not by round trips × OPERATOR_WORKERS (sized for cloud calls).
 * 5,000 ends, loaded 2-core machine: 227/s with 4 workers, 440/s with 16, neither throttled (ADR 0319).
 */
export const SESSION_WORKERS_MIN = 16;

/** Requests go through the manager's KubeClient (one per process: its connections and rate limit). */
export interface ContainerSessionControllerOptions {
  clock: Clock;
  logger: Logger;
  policy?: Partial<SessionPolicy>;
  workers?: number;
  /** The manager's License informer if one exists already (one informer per kind); else one is created. */
  licenses?: Informer<License>;
  rateLimiter?: { baseDelayMs?: number; maxDelayMs?: number };
  /** Concurrent License-status reconciles. Default 2. */
  licenseWorkers?: number;
}

export function registerContainerSessionControllers(
  manager: Manager,
  options: ContainerSessionControllerOptions,
) {
  const sessionClient = manager.client<ContainerSession>(ContainerSessionResource);
  const licenseClient = manager.client<License>(LicenseResource);
  const sessions = manager.informer(sessionClient, { indexBy: sessionLicenseIndex });
  const licenses = options.licenses ?? manager.informer(licenseClient);
  // Set below: the License status controller, told about this controller's own session writes.
  let licenseQueue: { add(key: string): void } | undefined;
  const reconciler = new ContainerSessionReconciler({
    sessions,
    licenses,
    writer: {
      patch: (ns, name, body) => sessionClient.patch(ns, name, body),
      patchStatus: async (ns, name, body) => {
        const written = await sessionClient.patchStatus(ns, name, body);
        // The informer drops the watch event of a write this process recorded with observeWrite, so the
        // License controller's session watch never saw the operator end a session: activeSessions lagged
        // until the next relist (issue 12 item 14). Record the write, then enqueue its License directly.
        sessions.observeWrite(written);
        licenseQueue?.add(`${ns}/${written.spec.licenseRef.name}`);
        return written;
      },
      delete: async (ns, name) => {
        await sessionClient.delete(ns, name); // false = already gone: deleted either way
      },
    },
    events: manager.events,
    eventSeries: manager.eventSeries,
    clock: options.clock,
    logger: options.logger,
    policy: { ...DEFAULT_SESSION_POLICY, ...options.policy },
  });
  const sessionsOf = (license: License) =>
    sessions.byIndex(`${license.metadata?.namespace}/${license.metadata?.name}`).map(objectKey);
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
  const licenseStatus = new LicenseStatusReconciler({
    sessions,
    licenses,
    writeLicenseStatus: (ns, name, body) => licenseClient.patchStatus(ns, name, body),
    eventSeries: manager.eventSeries,
    clock: options.clock,
  });
  const licenseController = manager.addController<License>({
    name: "license-sessions",
    for: licenses,
    watches: [
      {
        informer: sessions,
        map: (s: ContainerSession) => [`${s.metadata?.namespace}/${s.spec.licenseRef.name}`],
        shouldReconcile: (a: ContainerSession, b: ContainerSession) => a.status?.state !== b.status?.state,
      },
    ],
    reconciler: licenseStatus,
    workers: options.licenseWorkers ?? 2,
    ...rateLimiter,
  });
  licenseQueue = licenseController.queue;
  return { reconciler, licenseStatus, sessions, licenses };
}
