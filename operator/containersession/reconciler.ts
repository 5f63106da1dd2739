/**
 * The ContainerSession reconciler: the I/O shell around decideSession. For one key it reads the session,
 * its License and the license's other sessions from the informer caches, asks the decision, writes the
 * status difference (guarded by resourceVersion when it ends a session, so a heartbeat billing wrote a
 * moment earlier is never overwritten by a stale "expired"), records an Event per transition, and
 * deletes sessions whose retention is over. The License's status (activeSessions, Ready) is
 * kept by operator/license/status.ts.
 */
import type { Logger } from "pino";
import type { ContainerSession, License } from "../../crds/types.js";
import type { Clock } from "../../lib/clock.js";
import { httpStatus } from "../../lib/kube/errors.js";
import type { ReconcileResult, Reconciler } from "../runtime/controller.js";
import type { EventSeriesRecorder } from "../runtime/event-series.js";
import type { EventRecorder } from "../runtime/events.js";
import type { Informer } from "../runtime/informer.js";
import { splitKey, topLevelMergePatch } from "../runtime/kube.js";
import { AUDIT_REF_ANNOTATION, decideSession, isActive, type SessionPolicy } from "./decide.js";

/** The writes the reconcilers make (CustomResourceClient satisfies them). */
export interface SessionWriter {
  patch(namespace: string, name: string, body: object): Promise<ContainerSession>;
  patchStatus(namespace: string, name: string, body: object): Promise<ContainerSession>;
  delete(namespace: string, name: string): Promise<void>;
}

export interface ContainerSessionReconcilerDeps {
  sessions: Informer<ContainerSession>;
  licenses: Informer<License>;
  writer: SessionWriter;
  events: EventRecorder;
  /** Where ends that follow from the License are counted (one Event per license and reason). */
  eventSeries: EventSeriesRecorder;
  clock: Clock;
  logger: Logger;
  policy: SessionPolicy;
}

/** The session informer's index: sessions by `namespace/licenseRef.name` (register.ts sets it). */
export function sessionLicenseIndex(session: ContainerSession): string {
  return `${session.metadata?.namespace ?? ""}/${session.spec?.licenseRef?.name ?? ""}`;
}

/** Active sessions of one License, from the cache's license index (no scan of every session). */
export function activeSessionsOf(
  sessions: Informer<ContainerSession>,
  namespace: string,
  licenseName: string,
): ContainerSession[] {
  return sessions.byIndex(`${namespace}/${licenseName}`).filter(isActive);
}

export class ContainerSessionReconciler implements Reconciler {
  constructor(private readonly deps: ContainerSessionReconcilerDeps) {}

  async reconcile(key: string): Promise<ReconcileResult | undefined> {
    const { sessions, licenses, writer, events, clock } = this.deps;
    const session = sessions.get(key);
    if (!session) return {};
    const { namespace, name } = splitKey(key);
    const license = licenses.get(`${namespace}/${session.spec.licenseRef.name}`);
    const now = clock.now();
    const decision = decideSession(
      session,
      license,
      now,
      activeSessionsOf(sessions, namespace, session.spec.licenseRef.name),
      this.deps.policy,
    );

    if (decision.needsAuditRecord) {
      // The cluster-side audit record of an end is its Event; then the annotation says where it is.
      events.record(session, "ended", {
        type: "Normal",
        reason: "SessionEnded",
        message: `session ${session.status?.state} (${session.status?.reason ?? "no reason"})`,
      });
      const annotated = await writer.patch(namespace, name, {
        metadata: { annotations: { [AUDIT_REF_ANNOTATION]: `event:${namespace}/SessionEnded` } },
      });
      sessions.observeWrite(annotated);
    }
    if (decision.delete) {
      await writer.delete(namespace, name);
      sessions.observeDelete(key);
      this.deps.logger.info(
        { session: key, state: session.status?.state },
        "deleted ended session after retention",
      );
      return {};
    }

    const patch = topLevelMergePatch(session.status, decision.status);
    if (Object.keys(patch).length > 0) {
      const ending = decision.check !== "active" && decision.check !== "ended";
      // Ending a session is guarded: if billing recorded a heartbeat since our read, the patch conflicts.
      const body = ending
        ? { metadata: { resourceVersion: session.metadata?.resourceVersion }, status: patch }
        : { status: patch };
      try {
        sessions.observeWrite(await writer.patchStatus(namespace, name, body));
      } catch (error) {
        if (httpStatus(error) === 409) return { requeueAfterMs: 0 };
        if (httpStatus(error) === 404) return {};
        throw error;
      }
      if (decision.event && decision.recordOnLicense && license) {
        // One Event per License and reason, counted (ADR 0261); for a lapse it is the same series as the
        // License's own Ready transition (Normal, e.g. LicenseRevoked), so `kubectl describe lic` shows
        // one line with the count.
        const { reason, message } = decision.event;
        this.deps.eventSeries.add(license, {
          type: decision.check === "licenseLapsed" ? "Normal" : decision.event.type,
          reason,
          message: `session ${name} terminated: ${message}`,
        });
      } else if (decision.event)
        events.record(session, decision.check === "active" ? "heartbeat" : "state", decision.event);
    }
    return decision.requeueAt ? { requeueAt: decision.requeueAt } : {};
  }
}
