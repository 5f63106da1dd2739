/**
 * The Workstation decision: a pure function from (Workstation, its License, what Google Cloud reports,
 * now) to the actions to take and the status to write. No I/O, no clock of its own; the reconciler
 * gathers the inputs and carries out the result. Level-triggered: the same inputs give the same answer,
 * whatever event led here.
 */
import type { License, Workstation, WorkstationStatus } from "../../crds/types.js";
import { TIMING, type WorkstationTier } from "../../lib/domain.js";
import { type ConditionSpec, ConditionType, Reason, setCondition } from "../conditions.js";
import { ownerLabels } from "../gcp/naming.js";
import {
  entitledVerdict,
  firstFailure,
  licenseChain,
  notFromBillingVerdict,
  stayStoppedChain,
  type Verdict,
} from "./checks.js";
import { displayPhase } from "./phase.js";

/** Finalizer that keeps a Workstation resource until its cloud workstation is gone. */
export const WORKSTATION_FINALIZER = "coditect.ai/workstation";
/** Annotation: `Abandon` keeps the cloud workstation when the resource is deleted. */
export const DELETION_POLICY_ANNOTATION = "coditect.ai/deletion-policy";

export type CloudState =
  | "STATE_UNSPECIFIED"
  | "STATE_STARTING"
  | "STATE_RUNNING"
  | "STATE_STOPPING"
  | "STATE_STOPPED"
  | "STATE_DELETING";

/** The cloud workstation as the gateway reports it. */
export interface CloudWorkstation {
  /** Full resource name. */
  name: string;
  state: CloudState;
  host?: string;
  /** True while GCP is still applying a change (for example a create in progress). */
  reconciling?: boolean;
  /** Its GCP labels: the owner labels say which Workstation resource it belongs to. */
  labels: Record<string, string>;
  /** SHA-256 of the credential in its env (ADR 0150); undefined when its env has none. */
  credentialHash?: string;
}

/** Whether the cloud workstation carries the owner labels of `ws` (see ownerLabels). */
export function ownedBy(cloud: CloudWorkstation, ws: Workstation): boolean {
  const expected = ownerLabels(ws.metadata?.namespace ?? "", ws.metadata?.name ?? "");
  return Object.entries(expected).every(([key, value]) => cloud.labels[key] === value);
}

export interface CloudObservation {
  /** null when Google Cloud answers NOT_FOUND. */
  workstation: CloudWorkstation | null;
  /** Result of polling `status.operation` once, when one is recorded. A vanished operation counts as done. */
  operation?: { done: boolean; error?: string };
  /**
   * Users holding roles/workstations.user, read only when status.accessGrantedTo records nobody (a new
   * workstation, or a record lost in a crash between a grant and the status write).
   */
  accessHolders?: string[];
  /**
   * An operation found running on the workstation that status.operation does not record (its starter
   * died before writing it): the reconciler records it and the decision treats it as recorded.
   */
  adopted?: { name: string; kind: LroKind };
}

export type LroKind = "Create" | "Start" | "Stop" | "Delete";

export type WorkstationAction =
  | { type: "AddFinalizer" }
  | { type: "RemoveFinalizer" }
  | { type: "GrantAccess"; user: string }
  | { type: "RevokeAccess"; user: string }
  | { type: "Create"; configId: string }
  | { type: "Start" }
  | { type: "Stop" }
  | { type: "Delete" };

export interface WorkstationDecision {
  /** In order. At most one of them starts a long-running operation, and it comes last. */
  actions: WorkstationAction[];
  /** Status to write, or null when nothing should be written (the resource is about to disappear). */
  status: WorkstationStatus | null;
  /** When to look again (ms); undefined = only on the next change or periodic resync. */
  requeueAfterMs?: number;
}

export interface WorkstationPolicy {
  /** Workstation config id per tier (from validated operator configuration). */
  tierConfigs: Partial<Record<WorkstationTier, string>>;
  /** How often to poll a long-running operation or a transitional state. */
  operationPollMs: number;
  /** How often to re-observe a settled workstation (GCP may stop it for idleness at any time). */
  observeIntervalMs: number;
  /** Wait after a failed operation before trying again. */
  operationRetryMs: number;
  /** A stop within this long after the workstation became Ready is retried, not taken as idleness. */
  idleStopMinRunMs: number;
  /** How long after license expiry the workstation is deleted. */
  deletionGraceMs: number;
  /**
   * How long a License that is missing (not revoked: absent) counts as unknown rather than lapsed. The
   * cluster can lose objects that Postgres still holds (etcd restore, a deleted namespace); billing
   * re-projects them, and meanwhile nothing is stopped or revoked (docs/adr/0125).
   */
  licenseMissingGraceMs: number;
}

export const DEFAULT_POLICY: Omit<WorkstationPolicy, "tierConfigs"> = {
  operationPollMs: 2_000,
  observeIntervalMs: 5 * 60_000,
  operationRetryMs: 30_000,
  idleStopMinRunMs: 5 * 60_000,
  deletionGraceMs: TIMING.workstationDeletionGraceMs,
  licenseMissingGraceMs: 15 * 60_000,
};

/** Decides what to do for one Workstation. See docs/operator.md for the rules in prose. */
export function decideWorkstation(
  ws: Workstation,
  license: License | null,
  cloud: CloudObservation,
  now: Date,
  policy: WorkstationPolicy,
): WorkstationDecision {
  const generation = ws.metadata?.generation;
  const prev = ws.status ?? {};
  const hasFinalizer = ws.metadata?.finalizers?.includes(WORKSTATION_FINALIZER) ?? false;
  // A workstation under our deterministic id that another party created is never touched, reported or
  // deleted: for every decision below it is as if there were none, and step 2b says why.
  const foreign = cloud.workstation !== null && !ownedBy(cloud.workstation, ws);
  const w = foreign ? null : cloud.workstation;
  const opPending = prev.operation !== undefined && !(cloud.operation?.done ?? false);
  const opFailed =
    prev.operation !== undefined && cloud.operation?.done === true ? cloud.operation.error : undefined;

  const lapseFailure = firstFailure(licenseChain, { licenseName: ws.spec.licenseRef.name, license, now });
  const lapsedSince = prev.licenseLapsedAt ?? now.toISOString();
  // A missing License within its grace is unknown, not lapsed: it neither entitles (no create) nor stops,
  // revokes or deletes anything; a License that reappears finds the workstation as it was.
  const unknownUntil =
    lapseFailure?.reason === Reason.LicenseNotFound
      ? Date.parse(lapsedSince) + policy.licenseMissingGraceMs
      : undefined;
  const licenseUnknown = unknownUntil !== undefined && unknownUntil > now.getTime();
  const licenseFailure = licenseUnknown ? null : lapseFailure;
  const licensed: Verdict = lapseFailure ?? entitledVerdict(license!);
  const entitled = licenseFailure === null;

  let conditions = prev.conditions;
  const set = (type: ConditionType, ok: boolean, verdict: Verdict) => {
    const spec: ConditionSpec = { type, status: ok ? "True" : "False", ...verdict };
    conditions = setCondition(conditions, spec, now, generation);
  };
  const status = (extra: Partial<WorkstationStatus> = {}): WorkstationStatus => {
    const observed: WorkstationStatus = {
      ...prev,
      observedGeneration: generation,
      state: w?.state ?? "NotFound",
      operation: opPending ? prev.operation : undefined,
      licenseLapsedAt: lapseFailure === null ? undefined : lapsedSince,
      ...extra,
      conditions,
    };
    if (w) observed.externalRef = w.name;
    observed.host = w?.state === "STATE_RUNNING" ? w.host : undefined;
    observed.accessUrl = observed.host ? `https://${observed.host}` : undefined;
    if (!w) observed.accessGrantedTo = undefined; // IAM bindings die with the workstation
    observed.phase = displayPhase(observed.state, conditions);
    return dropUndefined(observed);
  };
  const poll = policy.operationPollMs;
  if (licenseUnknown) {
    conditions = setCondition(
      conditions,
      {
        type: ConditionType.Licensed,
        status: "Unknown",
        reason: Reason.LicenseNotFound,
        message: `${licensed.message}; treated as unknown until ${new Date(unknownUntil!).toISOString()} (nothing is stopped or revoked meanwhile)`,
      },
      now,
      generation,
    );
  } else set(ConditionType.Licensed, !lapseFailure, licensed);

  // 1. Deletion of the resource.
  if (ws.metadata?.deletionTimestamp) {
    if (!hasFinalizer) return { actions: [], status: null };
    if (opPending) return waiting(Reason.Deleting, "Waiting for the running operation before deleting");
    if (ws.metadata.annotations?.[DELETION_POLICY_ANNOTATION] === "Abandon" || !w) {
      return { actions: [{ type: "RemoveFinalizer" }], status: null };
    }
    set(ConditionType.Provisioned, false, { reason: Reason.Deleting, message: `Deleting ${w.name}` });
    set(ConditionType.Ready, false, { reason: Reason.Deleting, message: "The resource is being deleted" });
    if (w.state === "STATE_DELETING") return { actions: [], status: status(), requeueAfterMs: poll };
    return { actions: [{ type: "Delete" }], status: status(), requeueAfterMs: poll };
  }

  // 1b. A License billing did not write (a sample from examples/, a hand-made one): conditions only — no
  // finalizer, no cloud call (the reconciler does not even observe), no lapse clock. Once billing writes
  // the License, its watch brings the Workstation back here.
  const notFromBilling = notFromBillingVerdict(license);
  if (notFromBilling) {
    for (const type of [ConditionType.Licensed, ConditionType.Provisioned, ConditionType.Ready]) {
      set(type, false, notFromBilling);
    }
    return { actions: [], status: status({ licenseLapsedAt: prev.licenseLapsedAt }) };
  }

  // 2. The finalizer goes on before anything touches the cloud.
  if (!hasFinalizer) return { actions: [{ type: "AddFinalizer" }], status: null, requeueAfterMs: 0 };

  // 2b. Our id is taken by a workstation that is not ours: a condition, not a retry storm, and no create.
  if (foreign) {
    const verdict = {
      reason: Reason.WorkstationIdConflict,
      message: `${cloud.workstation!.name} exists but was not created for ${ws.metadata?.namespace}/${ws.metadata?.name} (its labels differ); remove or relabel it`,
    };
    set(ConditionType.Provisioned, false, verdict);
    set(ConditionType.Ready, false, verdict);
    return { actions: [], status: status(), requeueAfterMs: policy.operationRetryMs };
  }

  // 3. An operation in flight is polled, never waited for inside a worker.
  if (opPending) {
    const kind = prev.operation!.kind;
    return waiting(PENDING_REASON[kind], `${kind} operation ${prev.operation!.name} is in progress`);
  }
  if (opFailed !== undefined) {
    const kind = prev.operation!.kind;
    const verdict = { reason: Reason.OperationFailed, message: `${kind} operation failed: ${opFailed}` };
    if (kind === "Create") set(ConditionType.Provisioned, false, verdict);
    set(ConditionType.Ready, false, verdict);
    return { actions: [], status: status(), requeueAfterMs: policy.operationRetryMs };
  }

  // 4. A license expired beyond the grace period: the workstation is deleted, the resource stays.
  const lapseDeadline = deletionDeadline(
    license,
    prev.licenseLapsedAt ?? now.toISOString(),
    licenseFailure,
    policy,
  );
  if (lapseDeadline !== undefined && lapseDeadline <= now.getTime()) {
    const verdict = {
      reason: Reason.DeletedAfterLicenseExpiry,
      message: `License expired more than ${Math.round(policy.deletionGraceMs / 86_400_000)} days ago`,
    };
    set(ConditionType.Provisioned, false, verdict);
    set(ConditionType.Ready, false, verdict);
    set(ConditionType.AccessGranted, false, { reason: Reason.AccessRevoked, message: licensed.message });
    if (!w) return { actions: [], status: status() };
    const actions: WorkstationAction[] = w.state === "STATE_DELETING" ? [] : [{ type: "Delete" }];
    return { actions, status: status({ accessGrantedTo: undefined }), requeueAfterMs: poll };
  }

  // 5. Provisioning.
  if (!w) {
    set(ConditionType.AccessGranted, false, {
      reason: Reason.WaitingForWorkstation,
      message: "No workstation yet",
    });
    if (!entitled || licenseUnknown) {
      set(ConditionType.Provisioned, false, { reason: Reason.WaitingForLicense, message: licensed.message });
      set(ConditionType.Ready, false, licensed);
      return { actions: [], status: status() };
    }
    const configId = ws.spec.configRef ?? (ws.spec.tier ? policy.tierConfigs[ws.spec.tier] : undefined);
    if (!configId) {
      // Terminal until the spec or the operator configuration changes: a condition, not a retry.
      const verdict = {
        reason: Reason.ConfigNotFound,
        message: `No workstation config is configured for tier ${ws.spec.tier ?? "(none)"}`,
      };
      set(ConditionType.Provisioned, false, verdict);
      set(ConditionType.Ready, false, verdict);
      return { actions: [], status: status() };
    }
    const creating = { reason: Reason.Creating, message: `Creating the workstation (config ${configId})` };
    set(ConditionType.Provisioned, false, creating);
    set(ConditionType.Ready, false, creating);
    return { actions: [{ type: "Create", configId }], status: status(), requeueAfterMs: poll };
  }
  if (w.state === "STATE_DELETING" || w.reconciling || w.state === "STATE_UNSPECIFIED") {
    const verdict = {
      reason: Reason.WaitingForCloud,
      message: `Google Cloud reports ${w.state} for ${w.name}`,
    };
    set(ConditionType.Ready, false, verdict);
    return { actions: [], status: status(), requeueAfterMs: poll };
  }
  set(ConditionType.Provisioned, true, {
    reason: Reason.Provisioned,
    message: `Workstation ${w.name} exists`,
  });

  // 6. Access follows the license and spec.user; a change of user moves the binding, and no spec.user (an
  // unassigned workstation, issue 16) means nobody holds roles/workstations.user.
  const actions: WorkstationAction[] = [];
  const wantUser = entitled ? ws.spec.user || undefined : undefined;
  const holders = new Set(cloud.accessHolders ?? []);
  if (prev.accessGrantedTo) holders.add(prev.accessGrantedTo);
  for (const user of holders) if (user !== wantUser) actions.push({ type: "RevokeAccess", user });
  if (wantUser && !holders.has(wantUser)) actions.push({ type: "GrantAccess", user: wantUser });
  if (wantUser) {
    set(ConditionType.AccessGranted, true, {
      reason: Reason.AccessGranted,
      message: `${wantUser} has roles/workstations.user on the workstation`,
    });
  } else {
    set(ConditionType.AccessGranted, false, {
      reason: Reason.AccessRevoked,
      message: entitled ? "the workstation is not assigned to anyone (no spec.user)" : licensed.message,
    });
  }

  // 7. Power state: stop when not wanted or not licensed; start unless a stay-stopped check holds.
  let requeueAfterMs = policy.observeIntervalMs;
  const stayStopped = firstFailure(stayStoppedChain, {
    ws,
    now,
    licenseFailure,
    idleStopMinRunMs: policy.idleStopMinRunMs,
  });
  switch (w.state) {
    case "STATE_RUNNING":
      if (stayStopped && stayStopped.reason !== Reason.StoppedForIdleness) {
        actions.push({ type: "Stop" });
        set(ConditionType.Ready, false, { reason: Reason.Stopping, message: stayStopped.message });
        requeueAfterMs = poll;
      } else if (!w.host) {
        set(ConditionType.Ready, false, {
          reason: Reason.WaitingForCloud,
          message: "Running but no host yet",
        });
        requeueAfterMs = poll;
      } else {
        set(ConditionType.Ready, true, { reason: Reason.Running, message: `Running at https://${w.host}` });
      }
      break;
    case "STATE_STOPPED":
      if (stayStopped || licenseUnknown) {
        set(ConditionType.Ready, false, stayStopped ?? licensed);
      } else {
        actions.push({ type: "Start" });
        set(ConditionType.Ready, false, { reason: Reason.Starting, message: "Starting the workstation" });
        requeueAfterMs = poll;
      }
      break;
    default: {
      // STARTING / STOPPING without an operation of ours: GCP is on its way; look again soon.
      const reason = w.state === "STATE_STARTING" ? Reason.Starting : Reason.Stopping;
      set(ConditionType.Ready, false, { reason, message: `Google Cloud reports ${w.state}` });
      requeueAfterMs = poll;
    }
  }
  return {
    actions,
    status: status({ accessGrantedTo: wantUser }),
    requeueAfterMs: earliest(
      requeueAfterMs,
      now,
      license,
      licenseUnknown ? unknownUntil : lapseDeadline,
      entitled,
    ),
  };

  function waiting(reason: Reason, message: string): WorkstationDecision {
    set(ConditionType.Ready, false, { reason, message });
    if (prev.operation?.kind === "Create") set(ConditionType.Provisioned, false, { reason, message });
    return { actions: [], status: status(), requeueAfterMs: poll };
  }
}

const PENDING_REASON: Record<LroKind, Reason> = {
  Create: Reason.Creating,
  Start: Reason.Starting,
  Stop: Reason.Stopping,
  Delete: Reason.Deleting,
};

/** The LRO kind an action starts, if it starts one. */
export function lroKindOf(action: WorkstationAction): LroKind | undefined {
  switch (action.type) {
    case "Create":
      return "Create";
    case "Start":
      return "Start";
    case "Stop":
      return "Stop";
    case "Delete":
      return "Delete";
    default:
      return undefined;
  }
}

/**
 * Epoch ms after which an expired license's workstation is deleted: license expiry (or, when billing
 * marked it expired without a date, when the operator first saw the lapse) plus the grace. Only expiry
 * deletes; revoked and suspended licenses stop the workstation but keep it.
 */
function deletionDeadline(
  license: License | null,
  lapsedAt: string,
  failure: Verdict | null,
  policy: WorkstationPolicy,
): number | undefined {
  if (failure?.reason !== Reason.LicenseExpired) return undefined;
  const expiresAt = license?.spec.expiresAt ? Date.parse(license.spec.expiresAt) : Date.parse(lapsedAt);
  return expiresAt + policy.deletionGraceMs;
}

/** The next look: the regular interval, or sooner when the license expires or the deletion grace ends. */
function earliest(
  intervalMs: number,
  now: Date,
  license: License | null,
  lapseDeadline: number | undefined,
  entitled: boolean,
): number {
  const candidates = [intervalMs];
  if (entitled && license?.spec.expiresAt)
    candidates.push(Date.parse(license.spec.expiresAt) - now.getTime());
  if (lapseDeadline !== undefined) candidates.push(lapseDeadline - now.getTime());
  return Math.max(0, Math.min(...candidates));
}

function dropUndefined<T extends object>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as T;
}
