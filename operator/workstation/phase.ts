/**
 * The one-word state `kubectl get ws` shows (status.phase, ADR 0136): Google Cloud's STATE_RUNNING reads
 * as Running. When no cloud workstation exists, the word says why — the Provisioned condition's reason
 * (WaitingForLicense, Creating, ConfigNotFound, DeletedAfterLicenseExpiry, …) — instead of a bare NotFound.
 * status.state keeps the raw cloud value for scripts.
 */
import type { Condition, WorkstationStatus } from "../../crds/types.js";
import { ConditionType, findCondition, Reason } from "../conditions.js";

const CLOUD_WORDS: Record<string, string> = {
  STATE_RUNNING: "Running",
  STATE_STARTING: "Starting",
  STATE_STOPPING: "Stopping",
  STATE_STOPPED: "Stopped",
  STATE_DELETING: "Deleting",
  STATE_UNSPECIFIED: "Unknown",
};

export function displayPhase(
  state: WorkstationStatus["state"],
  conditions: readonly Condition[] | undefined,
): string {
  if (state && state !== "NotFound") return CLOUD_WORDS[state] ?? state;
  const provisioned = findCondition(conditions, ConditionType.Provisioned);
  if (provisioned && provisioned.reason !== Reason.Provisioned) return provisioned.reason;
  return "NotFound";
}
