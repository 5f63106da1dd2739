/**
 * The workstation's own credential and id label (ADR 0150), decided apart from the lifecycle
 * (decide.ts): pure, from the resource, the owned cloud workstation and the lifecycle's decision.
 *
 * - The Workstation resource carries WORKSTATION_ID_LABEL = its cloud workstation id, so the license
 *   server finds it by an exact label match.
 * - The cloud workstation's env holds a secret whose SHA-256 is status.credentialHash. The create sets both
 *   (reconciler.ts); whenever the cloud workstation's env does not hash to the recorded value — a
 *   workstation adopted or created before this existed, a status write lost after a create or rotation, an
 *   env changed by someone else — a new secret replaces it (UpdateWorkstation env). The running container
 *   keeps the env it started with, so a rotation takes effect at the next start.
 */
import type { Workstation } from "../../crds/types.js";
import { WORKSTATION_CREDENTIAL_ENV, WORKSTATION_ID_LABEL } from "../../lib/workstation-credential.js";
import type { CloudWorkstation, WorkstationDecision } from "./decide.js";
import { lroKindOf, WORKSTATION_FINALIZER } from "./decide.js";

export type CredentialAction = { type: "LabelWorkstationId"; id: string } | { type: "RotateCredential" };

/** SHA-256 of the credential in the cloud workstation's env, as the gateway reports it (never the value). */
export function cloudCredentialHash(envSha256: Record<string, string>): string | undefined {
  return envSha256[WORKSTATION_CREDENTIAL_ENV];
}

/**
 * What to do about the label and the credential this pass. `cloud` is the workstation only when it is
 * ours (a foreign one under our id is never touched); `cloudName` is its full name as recorded or derived.
 * Nothing for a resource without the operator's finalizer or being deleted, and no rotation while anything is in flight: the
 * lifecycle's operation comes first, the next pass rotates.
 */
export function credentialActions(
  ws: Workstation,
  cloud: CloudWorkstation | null,
  cloudName: string | undefined,
  decision: WorkstationDecision,
): CredentialAction[] {
  // Only resources the operator manages (its finalizer is on them): a Workstation whose License billing
  // did not write is left exactly as it is (decide.ts step 1b).
  const managed = ws.metadata?.finalizers?.includes(WORKSTATION_FINALIZER) ?? false;
  if (!managed || ws.metadata?.deletionTimestamp || decision.status === null) return [];
  const actions: CredentialAction[] = [];
  const id = cloudName?.split("/").pop();
  if (id && ws.metadata?.labels?.[WORKSTATION_ID_LABEL] !== id) {
    actions.push({ type: "LabelWorkstationId", id });
  }
  const settled =
    cloud && !cloud.reconciling && (cloud.state === "STATE_RUNNING" || cloud.state === "STATE_STOPPED");
  const inFlight =
    decision.status.operation !== undefined || decision.actions.some((a) => lroKindOf(a) !== undefined);
  if (settled && !inFlight) {
    const recorded = ws.status?.credentialHash;
    if (!recorded || cloud.credentialHash !== recorded) actions.push({ type: "RotateCredential" });
  }
  return actions;
}
