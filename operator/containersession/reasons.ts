/**
 * Condition types and reasons of ContainerSession (the shared ones — Ready, Licensed and the License*
 * reasons — come from operator/conditions.ts). A reason is an API: billing's heartbeat passes the one the
 * operator wrote (e.g. OverQuota) on to the container.
 */
import type { Condition } from "../../crds/types.js";
import { ConditionType, Reason } from "../conditions.js";

export const SessionConditionType = {
  Ready: ConditionType.Ready,
  Licensed: ConditionType.Licensed,
  HeartbeatFresh: "HeartbeatFresh",
  WithinQuota: "WithinQuota",
} as const;

export const SessionReason = {
  LicenseActive: Reason.LicenseActive,
  LicensePastDue: Reason.LicensePastDue,
  LicenseNotFound: Reason.LicenseNotFound,
  LicenseSuspended: Reason.LicenseSuspended,
  LicenseExpired: Reason.LicenseExpired,
  LicenseRevoked: Reason.LicenseRevoked,
  Active: "Active",
  HeartbeatReceived: "HeartbeatReceived",
  HeartbeatLate: "HeartbeatLate",
  HeartbeatMissed: "HeartbeatMissed",
  WithinLimit: "WithinLimit",
  OverQuota: "OverQuota",
  Released: "Released",
  Ended: "Ended",
} as const;
export type SessionReason = (typeof SessionReason)[keyof typeof SessionReason];

export interface SessionConditionSpec {
  type: (typeof SessionConditionType)[keyof typeof SessionConditionType];
  status: Condition["status"];
  reason: string;
  message: string;
}

/**
 * meta.SetStatusCondition for ContainerSession's condition types (operator/conditions.ts' helper is typed
 * to the Workstation/License types): lastTransitionTime moves only when the status changes.
 */
export function applyCondition(
  conditions: readonly Condition[] | undefined,
  wanted: SessionConditionSpec,
  now: Date,
): Condition[] {
  const existing = conditions?.find((c) => c.type === wanted.type);
  const next: Condition = {
    ...wanted,
    lastTransitionTime:
      existing && existing.status === wanted.status ? existing.lastTransitionTime : now.toISOString(),
  };
  if (!existing) return [...(conditions ?? []), next];
  return (conditions ?? []).map((c) => (c.type === wanted.type ? next : c));
}
