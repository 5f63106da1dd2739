/**
 * The License status the operator writes (ADR 0136): how many ContainerSessions hold a seat, and a Ready
 * condition saying whether the License entitles its holder right now — the same check chain that decides
 * a Workstation's Licensed condition, so `kubectl wait --for=condition=Ready lic/<name>` and the
 * Workstation never disagree. Billing writes the spec; this is the only writer of the status.
 *
 * decideLicenseStatus is pure; LicenseStatusReconciler is its I/O shell (keyed by License; session
 * changes map to their License). An Event is recorded when Ready changes status or reason, not per write.
 */
import type { ContainerSession, License, LicenseStatus } from "../../crds/types.js";
import type { Clock } from "../../lib/clock.js";
import { httpStatus } from "../../lib/kube/errors.js";
import { ConditionType, conditionTransitions, Reason, setCondition, transitionEvent } from "../conditions.js";
import { activeSessionsOf } from "../containersession/reconciler.js";
import type { ReconcileResult, Reconciler } from "../runtime/controller.js";
import type { EventSeriesRecorder } from "../runtime/event-series.js";
import type { Informer } from "../runtime/informer.js";
import { splitKey } from "../runtime/kube.js";
import { entitledVerdict, firstFailure, licenseChain, notFromBillingVerdict } from "../workstation/checks.js";

/**
 * The status for `license` with `activeSessions` seats held, and `requeueAt` when Ready will flip by
 * itself (expiresAt passing) so the reconciler looks again then.
 */
export function decideLicenseStatus(
  license: License,
  activeSessions: number,
  now: Date,
): LicenseStatus & { requeueAt?: Date } {
  const generation = license.metadata?.generation;
  const failure =
    notFromBillingVerdict(license) ??
    firstFailure(licenseChain, { licenseName: license.metadata?.name ?? "", license, now });
  const verdict = failure ?? entitledVerdict(license);
  const conditions = setCondition(
    license.status?.conditions,
    { type: ConditionType.Ready, status: failure ? "False" : "True", ...verdict },
    now,
    generation,
  );
  const expiresAt = license.spec.expiresAt ? new Date(license.spec.expiresAt) : undefined;
  return {
    ...(generation === undefined ? {} : { observedGeneration: generation }),
    activeSessions,
    conditions,
    ...(!failure && expiresAt && expiresAt > now ? { requeueAt: expiresAt } : {}),
  };
}

function sameStatus(a: LicenseStatus | undefined, b: LicenseStatus): boolean {
  return (
    a?.activeSessions === b.activeSessions &&
    a?.observedGeneration === b.observedGeneration &&
    JSON.stringify(a?.conditions ?? []) === JSON.stringify(b.conditions ?? [])
  );
}

export interface LicenseStatusReconcilerDeps {
  sessions: Informer<ContainerSession>;
  licenses: Informer<License>;
  writeLicenseStatus: (namespace: string, name: string, body: object) => Promise<License>;
  /** The License's transition Events; the sessions it ends join the same series (ADR 0261). */
  eventSeries: EventSeriesRecorder;
  clock: Clock;
}

export class LicenseStatusReconciler implements Reconciler {
  constructor(private readonly deps: LicenseStatusReconcilerDeps) {}

  async reconcile(key: string): Promise<ReconcileResult | undefined> {
    const { licenses, sessions, eventSeries, clock } = this.deps;
    const license = licenses.get(key);
    if (!license) return {};
    const { namespace, name } = splitKey(key);
    const { requeueAt, ...status } = decideLicenseStatus(
      license,
      activeSessionsOf(sessions, namespace, name).length,
      clock.now(),
    );
    const result = requeueAt ? { requeueAt } : {};
    if (sameStatus(license.status, status)) return result;
    try {
      licenses.observeWrite(await this.deps.writeLicenseStatus(namespace, name, { status }));
    } catch (error) {
      if (httpStatus(error) === 404) return {};
      throw error;
    }
    const event = transitionEvent(
      conditionTransitions(license.status?.conditions, status.conditions ?? []),
      // Revocation and expiry are business as usual; only a License billing did not write is a problem.
      (c) => c.reason === Reason.LicenseNotFromBilling,
    );
    // Called once per transition (after the write that makes it; the cache then holds the new conditions).
    if (event) eventSeries.add(license, event);
    return result;
  }
}
