/**
 * Condition types and CamelCase reasons of every resource the operator writes (cert-manager keeps them in
 * one file too), plus the metav1.Condition helpers. A reason is an API: `kubectl wait`, dashboards and
 * alerts match on it, so reasons are added here, never spelled inline.
 */
import type { Condition } from "../crds/types.js";

export const ConditionType = {
  Ready: "Ready",
  Licensed: "Licensed",
  Provisioned: "Provisioned",
  AccessGranted: "AccessGranted",
} as const;
export type ConditionType = (typeof ConditionType)[keyof typeof ConditionType];

export const Reason = {
  // Licensed
  LicenseActive: "LicenseActive",
  LicensePastDue: "LicensePastDue",
  LicenseNotFound: "LicenseNotFound",
  LicenseSuspended: "LicenseSuspended",
  LicenseExpired: "LicenseExpired",
  LicenseRevoked: "LicenseRevoked",
  LicenseNotFromBilling: "LicenseNotFromBilling",
  // Provisioned
  Provisioned: "Provisioned",
  Creating: "Creating",
  WaitingForLicense: "WaitingForLicense",
  ConfigNotFound: "ConfigNotFound",
  WorkstationIdConflict: "WorkstationIdConflict",
  OperationFailed: "OperationFailed",
  DeletedAfterLicenseExpiry: "DeletedAfterLicenseExpiry",
  Deleting: "Deleting",
  Abandoned: "Abandoned",
  // AccessGranted
  AccessGranted: "AccessGranted",
  AccessRevoked: "AccessRevoked",
  WaitingForWorkstation: "WaitingForWorkstation",
  // Ready (and shared with the above where the same words apply)
  Running: "Running",
  Starting: "Starting",
  Stopping: "Stopping",
  Stopped: "Stopped",
  StoppedForIdleness: "StoppedForIdleness",
  StoppedByLicense: "StoppedByLicense",
  WaitingForCloud: "WaitingForCloud",
  CloudRequestRejected: "CloudRequestRejected",
  // Events only
  ReconcileError: "ReconcileError",
} as const;
export type Reason = (typeof Reason)[keyof typeof Reason];

/** What a decision wants a condition to say; the helper adds the bookkeeping fields. */
export interface ConditionSpec {
  type: ConditionType;
  status: Condition["status"];
  reason: Reason;
  message: string;
}

export function findCondition(
  conditions: readonly Condition[] | undefined,
  type: string,
): Condition | undefined {
  return conditions?.find((c) => c.type === type);
}

/**
 * Returns `conditions` with `wanted` applied, as apimachinery's `meta.SetStatusCondition`:
 * `lastTransitionTime` moves only when the status changes, so "since when" stays truthful across
 * reconciles that merely restate the condition. Order is kept; new types are appended.
 */
export function setCondition(
  conditions: readonly Condition[] | undefined,
  wanted: ConditionSpec,
  now: Date,
  observedGeneration: number | undefined,
): Condition[] {
  const existing = findCondition(conditions, wanted.type);
  const next: Condition = {
    type: wanted.type,
    status: wanted.status,
    reason: wanted.reason,
    message: wanted.message,
    lastTransitionTime:
      existing && existing.status === wanted.status ? existing.lastTransitionTime : now.toISOString(),
    ...(observedGeneration === undefined ? {} : { observedGeneration }),
  };
  if (!existing) return [...(conditions ?? []), next];
  return (conditions ?? []).map((c) => (c.type === wanted.type ? next : c));
}

/** A condition whose status or reason differs from before: what an Event is emitted for. */
export interface ConditionTransition {
  type: string;
  from?: Pick<Condition, "status" | "reason">;
  to: Condition;
}

/** The conditions that changed status or reason between two condition lists. */
export function conditionTransitions(
  before: readonly Condition[] | undefined,
  after: readonly Condition[],
): ConditionTransition[] {
  const transitions: ConditionTransition[] = [];
  for (const to of after) {
    const from = findCondition(before, to.type);
    if (from && from.status === to.status && from.reason === to.reason) continue;
    transitions.push({
      type: to.type,
      ...(from ? { from: { status: from.status, reason: from.reason } } : {}),
      to,
    });
  }
  return transitions;
}

/** What an Event about condition changes says (operator/runtime/events.ts records it). */
export interface TransitionEvent {
  type: "Normal" | "Warning";
  reason: string;
  message: string;
}

const MAX_EVENT_MESSAGE = 1024;

/**
 * One Event for all condition changes of one status write, not one per condition (ADR 0136): a buy and a
 * revocation produced twelve Events on a Workstation, most of them the same step seen by four conditions.
 * The headline is the first change `isWarning` flags (then the Event is a Warning), else the Ready change,
 * else the first; the message lists every change, headline first.
 */
export function transitionEvent(
  transitions: readonly ConditionTransition[],
  isWarning: (condition: Condition) => boolean,
): TransitionEvent | undefined {
  if (transitions.length === 0) return undefined;
  const warning = transitions.find((t) => isWarning(t.to));
  const headline = warning ?? transitions.find((t) => t.type === ConditionType.Ready) ?? transitions[0]!;
  const ordered = [headline, ...transitions.filter((t) => t !== headline)];
  const message = ordered.map((t) => `${t.type}=${t.to.status} (${t.to.reason}): ${t.to.message}`).join("; ");
  return {
    type: warning ? "Warning" : "Normal",
    reason: headline.to.reason,
    message: message.length > MAX_EVENT_MESSAGE ? `${message.slice(0, MAX_EVENT_MESSAGE - 1)}…` : message,
  };
}
