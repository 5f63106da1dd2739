/**
 * The Workstation reconciler: the I/O shell around `decideWorkstation`. For one key it reads the
 * Workstation and its License from the caches, observes Google Cloud (one GetOperation poll if an
 * operation is recorded, one GetWorkstation), asks the decision, carries out its actions in order,
 * writes the status if it changed, and emits Events for condition transitions.
 *
 * Nothing is awaited for longer than one API call: long-running operations are recorded in
 * status.operation and polled on the next pass (requeueAfter).
 */
import type { Logger } from "pino";
import type { License, Workstation, WorkstationStatus } from "../../crds/types.js";
import type { Clock } from "../../lib/clock.js";
import {
  generateWorkstationCredential,
  WORKSTATION_CREDENTIAL_ENV,
  WORKSTATION_ID_LABEL,
} from "../../lib/workstation-credential.js";
import { ConditionType, conditionTransitions, Reason, setCondition, transitionEvent } from "../conditions.js";
import { type GcpError, isGcpError } from "../gcp/errors.js";
import { ownerLabels, workstationIdFor, workstationName } from "../gcp/naming.js";
import type { GcpWorkstation, OperationStatus, WorkstationsGateway } from "../gcp/workstations.js";
import type { ReconcileResult, Reconciler } from "../runtime/controller.js";
import type { EventRecorder } from "../runtime/events.js";
import type { Informer } from "../runtime/informer.js";
import { splitKey, topLevelMergePatch } from "../runtime/kube.js";
import { writtenByBilling } from "./checks.js";
import { type CredentialAction, cloudCredentialHash, credentialActions } from "./credential.js";
import {
  type CloudObservation,
  type CloudWorkstation,
  decideWorkstation,
  type LroKind,
  lroKindOf,
  ownedBy,
  WORKSTATION_FINALIZER,
  type WorkstationAction,
  type WorkstationPolicy,
} from "./decide.js";

/** The Kubernetes writes the reconciler makes (a CustomResourceClient<Workstation> satisfies it). */
export interface WorkstationWriter {
  patch(namespace: string, name: string, body: object): Promise<Workstation>;
  patchStatus(namespace: string, name: string, body: object): Promise<Workstation>;
}

export interface WorkstationReconcilerDeps {
  workstations: Informer<Workstation>;
  licenses: Informer<License>;
  writer: WorkstationWriter;
  gateway: WorkstationsGateway;
  events: EventRecorder;
  clock: Clock;
  logger: Logger;
  policy: WorkstationPolicy;
  /** Full name of the workstation cluster: projects/P/locations/L/workstationClusters/C. */
  clusterName: string;
}

const WARNING_REASONS = new Set<string>([
  Reason.LicenseNotFound,
  Reason.LicenseNotFromBilling,
  Reason.LicenseRevoked,
  Reason.LicenseSuspended,
  Reason.LicenseExpired,
  Reason.ConfigNotFound,
  Reason.WorkstationIdConflict,
  Reason.OperationFailed,
  Reason.CloudRequestRejected,
  Reason.StoppedByLicense,
  Reason.DeletedAfterLicenseExpiry,
]);

/** The Workstation informer's index: `namespace/licenseRef.name` (operator.ts sets it). */
export function workstationLicenseIndex(ws: Workstation): string {
  return `${ws.metadata?.namespace ?? ""}/${ws.spec?.licenseRef?.name ?? ""}`;
}

export class WorkstationReconciler implements Reconciler {
  constructor(private readonly deps: WorkstationReconcilerDeps) {}

  /** Keys of the Workstations that reference `license` (for the License watch), from the license index. */
  workstationsOf(license: License): string[] {
    const namespace = license.metadata?.namespace;
    return this.deps.workstations
      .byIndex(`${namespace}/${license.metadata?.name}`)
      .map((ws) => `${namespace}/${ws.metadata?.name}`);
  }

  async reconcile(key: string, continued = false): Promise<ReconcileResult> {
    const { deps } = this;
    const ws = deps.workstations.get(key);
    if (!ws) return {}; // deleted, finalizer already gone: nothing to do
    const { namespace } = splitKey(key);
    const license = deps.licenses.get(`${namespace}/${ws.spec.licenseRef.name}`) ?? null;
    const now = deps.clock.now();
    const ours = ws.metadata?.finalizers?.includes(WORKSTATION_FINALIZER) ?? false;
    // No cloud call at all before our finalizer is on the object (not even a read), nor for a License
    // billing did not write (contract C6) — except to clean up a resource being deleted.
    const fromBilling = license === null || writtenByBilling(license);
    const observe = ours && (fromBilling || Boolean(ws.metadata?.deletionTimestamp));
    const cloud: CloudObservation = observe ? await this.#observe(ws, now) : { workstation: null };
    // An operation in flight that no status records (its starter died before writing it) is adopted as
    // if recorded: the decision waits for it and the status write records it for the next poll.
    const recorded = cloud.adopted
      ? { ...ws, status: { ...ws.status, operation: { ...cloud.adopted, startedAt: now.toISOString() } } }
      : ws;
    const decision = decideWorkstation(recorded, license, cloud, now, deps.policy);

    let status = decision.status;
    let requeueAfterMs = decision.requeueAfterMs;
    try {
      for (const action of decision.actions) {
        const outcome = await this.#execute(ws, action, cloud);
        if (outcome.operation && status) {
          status = {
            ...status,
            operation: { name: outcome.operation, kind: lroKindOf(action)!, startedAt: now.toISOString() },
          };
        }
        if (outcome.credentialHash && status) status = { ...status, credentialHash: outcome.credentialHash };
        if (outcome.adopted) requeueAfterMs = deps.policy.operationPollMs;
      }
      const owned = cloud.workstation && ownedBy(cloud.workstation, ws) ? cloud.workstation : null;
      const cloudName = cloud.workstation?.name ?? this.#cloudName(ws);
      for (const action of credentialActions(ws, owned, cloudName, decision)) {
        const credentialHash = await this.#executeCredential(ws, action, cloudName!);
        if (credentialHash && status) status = { ...status, credentialHash };
      }
    } catch (error) {
      if (!isGcpError(error) || !error.terminal || !status) throw error;
      // The API refused the request as such: say so on the resource, and keep retrying with backoff
      // (the cause may be outside our control and go away).
      await this.#writeStatus(ws, rejected(status, error, now, ws.metadata?.generation));
      throw error;
    }
    if (status) await this.#writeStatus(ws, status);
    // The finalizer alone was added (it must be on before any cloud call): carry on with the object as
    // written instead of a second trip through the queue — the same pass the requeue would have made.
    if (onlyAddedFinalizer(decision.actions) && !continued) return this.reconcile(key, true);
    return requeueAfterMs === undefined ? {} : { requeueAfterMs };
  }

  async #observe(ws: Workstation, now: Date): Promise<CloudObservation> {
    const { gateway } = this.deps;
    const observation: CloudObservation = { workstation: null };
    const operation = ws.status?.operation;
    const name = this.#cloudName(ws);
    /** The workstation a just-finished create/start/stop returned: as good as a GetWorkstation (ADR 0263). */
    let returned: GcpWorkstation | undefined;
    if (operation) {
      try {
        const polled = await gateway.getOperation(operation.name);
        observation.operation = polled.done
          ? { done: true, ...(polled.error ? { error: polled.error.detail || polled.error.message } : {}) }
          : { done: false };
        if (polled.done && freshResult(polled, operation.kind, name, now)) returned = polled.workstation;
      } catch (error) {
        // An operation the API no longer knows has finished long ago; the workstation read tells the rest.
        if (!isGcpError(error, "notFound")) throw error;
        observation.operation = { done: true };
      }
    }
    if (name) {
      const found = returned ?? (await gateway.get(name));
      observation.workstation = found ? toCloudWorkstation(found) : null;
      if (found && !operation && inTransition(found)) {
        const adopted = await this.#findInFlight(found.name);
        if (adopted) {
          observation.adopted = adopted;
          observation.operation = { done: false };
          this.deps.logger.info(
            { workstation: `${ws.metadata?.namespace}/${ws.metadata?.name}`, operation: adopted.name },
            "adopted an operation in flight that no status recorded (an operator restart)",
          );
        }
      }
      // Nobody recorded as holding access: ask IAM, so a binding whose record was lost is found and fixed.
      if (found && !found.deleteTime && !ws.status?.accessGrantedTo && !ws.metadata?.deletionTimestamp) {
        observation.accessHolders = await gateway.listUsers(found.name);
      }
    }
    return observation;
  }

  /** The newest still-running create/start/stop/delete on the workstation, if any. */
  async #findInFlight(name: string): Promise<{ name: string; kind: LroKind } | undefined> {
    const pending = await this.deps.gateway.pendingOperations(name);
    for (const op of pending.reverse()) {
      const kind = op.verb ? VERB_KIND[op.verb] : undefined;
      if (kind) return { name: op.name, kind };
    }
    return undefined;
  }

  /** The workstation's full name: as recorded, or derived from namespace/name and the configured config. */
  #cloudName(ws: Workstation): string | undefined {
    if (ws.status?.externalRef) return ws.status.externalRef;
    const configId = this.#configId(ws);
    if (!configId) return undefined;
    return workstationName(
      this.#configName(configId),
      workstationIdFor(ws.metadata!.namespace!, ws.metadata!.name!),
    );
  }

  #configId(ws: Workstation): string | undefined {
    return ws.spec.configRef ?? (ws.spec.tier ? this.deps.policy.tierConfigs[ws.spec.tier] : undefined);
  }

  #configName(configId: string): string {
    return `${this.deps.clusterName}/workstationConfigs/${configId}`;
  }

  async #execute(
    ws: Workstation,
    action: WorkstationAction,
    cloud: CloudObservation,
  ): Promise<{ operation?: string; adopted?: boolean; credentialHash?: string }> {
    const { deps } = this;
    const namespace = ws.metadata!.namespace!;
    const name = ws.metadata!.name!;
    const cloudName = cloud.workstation?.name ?? this.#cloudName(ws);
    const log = deps.logger.child({ workstation: `${namespace}/${name}`, action: action.type });
    switch (action.type) {
      case "AddFinalizer":
      case "RemoveFinalizer": {
        const others = (ws.metadata?.finalizers ?? []).filter((f) => f !== WORKSTATION_FINALIZER);
        const finalizers = action.type === "AddFinalizer" ? [...others, WORKSTATION_FINALIZER] : others;
        // The id label (credential.ts) goes on with the finalizer: one metadata write instead of two.
        const id = action.type === "AddFinalizer" ? this.#cloudName(ws)?.split("/").pop() : undefined;
        const label =
          id && ws.metadata?.labels?.[WORKSTATION_ID_LABEL] !== id
            ? { [WORKSTATION_ID_LABEL]: id }
            : undefined;
        // resourceVersion makes this a compare-and-swap: a concurrent finalizer change gives 409, and a retry.
        const written = await deps.writer.patch(namespace, name, {
          metadata: {
            finalizers,
            resourceVersion: ws.metadata?.resourceVersion,
            ...(label ? { labels: label } : {}),
          },
        });
        if (action.type === "RemoveFinalizer" && finalizers.length === 0) {
          deps.workstations.observeDelete(`${namespace}/${name}`);
          deps.events.forget(ws);
        } else {
          deps.workstations.observeWrite(written);
        }
        log.info("finalizer updated");
        return {};
      }
      case "GrantAccess":
        await deps.gateway.grantUser(cloudName!, action.user);
        log.info({ user: action.user }, "granted roles/workstations.user");
        return {};
      case "RevokeAccess":
        await deps.gateway.revokeUser(cloudName!, action.user);
        log.info({ user: action.user }, "revoked roles/workstations.user");
        return {};
      case "Create": {
        const id = workstationIdFor(namespace, name);
        // The workstation's own credential goes in with the create; only its hash is kept (ADR 0150).
        const credential = generateWorkstationCredential();
        const created = await deps.gateway.create(this.#configName(action.configId), id, {
          displayName: ws.spec.displayName ?? `${namespace}/${name}`,
          labels: ownerLabels(namespace, name),
          env: { [WORKSTATION_CREDENTIAL_ENV]: credential.secret },
        });
        if ("alreadyExists" in created) {
          // Its env is not ours to know: a later pass rotates the credential (credential.ts).
          log.info({ id }, "workstation already exists (an earlier create): adopting it");
          return { adopted: true };
        }
        log.info({ id, operation: created.operation }, "create started");
        return { operation: created.operation, credentialHash: credential.hash };
      }
      case "Start":
        return { operation: (await deps.gateway.start(cloudName!)).operation };
      case "Stop":
        return { operation: (await deps.gateway.stop(cloudName!)).operation };
      case "Delete": {
        const deleted = await deps.gateway.delete(cloudName!);
        return "operation" in deleted ? { operation: deleted.operation } : {};
      }
    }
  }

  /** Carries out a label or credential action; returns the new credential's hash after a rotation. */
  async #executeCredential(
    ws: Workstation,
    action: CredentialAction,
    cloudName: string,
  ): Promise<string | undefined> {
    const { deps } = this;
    const namespace = ws.metadata!.namespace!;
    const name = ws.metadata!.name!;
    const log = deps.logger.child({ workstation: `${namespace}/${name}`, action: action.type });
    if (action.type === "LabelWorkstationId") {
      const written = await deps.writer.patch(namespace, name, {
        metadata: { labels: { [WORKSTATION_ID_LABEL]: action.id } },
      });
      deps.workstations.observeWrite(written);
      log.info({ id: action.id }, "workstation id label set");
      return undefined;
    }
    const credential = generateWorkstationCredential();
    await deps.gateway.setEnv(cloudName, { [WORKSTATION_CREDENTIAL_ENV]: credential.secret });
    log.info("workstation credential replaced; the workstation uses it from its next start");
    return credential.hash;
  }

  async #writeStatus(ws: Workstation, status: WorkstationStatus): Promise<void> {
    const before = ws.status ?? {};
    const patch = topLevelMergePatch(before, status);
    if (Object.keys(patch).length > 0) {
      const written = await this.deps.writer.patchStatus(ws.metadata!.namespace!, ws.metadata!.name!, {
        status: patch,
      });
      this.deps.workstations.observeWrite(written);
    }
    // One Event per status write that changed conditions, summarising them (ADR 0136).
    const event = transitionEvent(
      conditionTransitions(before.conditions, status.conditions ?? []),
      (c) => c.status === "False" && WARNING_REASONS.has(c.reason),
    );
    if (event) this.deps.events.record(ws, "conditions", event);
  }
}

function rejected(
  status: WorkstationStatus,
  error: GcpError,
  now: Date,
  generation: number | undefined,
): WorkstationStatus {
  const conditions = setCondition(
    status.conditions,
    {
      type: ConditionType.Ready,
      status: "False",
      reason: Reason.CloudRequestRejected,
      message: error.message,
    },
    now,
    generation,
  );
  return { ...status, operation: undefined, conditions };
}

const VERB_KIND: Record<string, LroKind> = {
  create: "Create",
  start: "Start",
  stop: "Stop",
  delete: "Delete",
};

/**
 * How old a finished operation's returned workstation may be to stand for a GetWorkstation. A settled
 * workstation is only re-read every observeIntervalMs (5 min) anyway, so a result up to a minute old adds
 * little staleness; it covers the queue wait of a from-scratch burst (1,000 keys wait ~10 s each under
 * load). Older results — an operator that was down — are read again (ADR 0263).
 */
export const OPERATION_RESULT_MAX_AGE_MS = 60_000;

/**
 * Whether a finished operation's response is a fresh observation of workstation `name`: it succeeded,
 * returned that workstation, acted on it (create, start, stop — a delete's response describes a
 * workstation that is going away) and ended no longer than OPERATION_RESULT_MAX_AGE_MS ago.
 */
export function freshResult(
  polled: OperationStatus,
  kind: LroKind,
  name: string | undefined,
  now: Date,
): polled is OperationStatus & { done: true; workstation: GcpWorkstation } {
  if (!polled.done || polled.error || !polled.workstation || kind === "Delete") return false;
  if (!name || polled.workstation.name !== name || !polled.endTime) return false;
  const age = now.getTime() - polled.endTime.getTime();
  return age <= OPERATION_RESULT_MAX_AGE_MS;
}

function onlyAddedFinalizer(actions: WorkstationAction[]): boolean {
  return actions.length === 1 && actions[0]!.type === "AddFinalizer";
}

/** GCP is applying a change: an operation may be running that the status does not record. */
function inTransition(w: GcpWorkstation): boolean {
  return (
    w.reconciling || Boolean(w.deleteTime) || w.state === "STATE_STARTING" || w.state === "STATE_STOPPING"
  );
}

function toCloudWorkstation(w: GcpWorkstation): CloudWorkstation {
  return {
    name: w.name,
    // The v1 API has no DELETING state; a deleteTime says the deletion has begun.
    state: w.deleteTime ? "STATE_DELETING" : w.state,
    reconciling: w.reconciling,
    labels: w.labels,
    ...(w.host ? { host: w.host } : {}),
    ...(cloudCredentialHash(w.envSha256) ? { credentialHash: cloudCredentialHash(w.envSha256)! } : {}),
  };
}
