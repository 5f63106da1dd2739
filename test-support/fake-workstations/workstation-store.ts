/**
 * Workstations of the fake Cloud Workstations API and their lifecycle:
 *
 *   create ─▶ STOPPED (reconciling until the create operation completes)
 *   start  ─▶ STARTING ─(operation completes)─▶ RUNNING, `host` set
 *   stop   ─▶ STOPPING ─(operation completes)─▶ STOPPED, `host` cleared
 *   delete ─▶ reconciling, `deleteTime` set ─(operation completes)─▶ gone (NOT_FOUND), IAM policy dropped
 *
 * Every state change issues a new etag; a request carrying a stale etag fails with ABORTED. Start while
 * STOPPING, or stop while STARTING, is FAILED_PRECONDITION (the fake does not queue transitions); start
 * on RUNNING and stop on STOPPED succeed as no-op operations. Delete supersedes a pending start/stop,
 * whose operation then completes with ABORTED.
 *
 * Test infrastructure: not used in production.
 */
import { randomBytes, randomUUID } from "node:crypto";
import { status } from "@grpc/grpc-js";
import type { Clock } from "../../lib/clock.js";
import { applyUpdateMask, type ListRequest, newEtag, paginate } from "./collections.js";
import { FakeStatusError, idOf, parentOf, requireLabels, requireName, requireResourceId } from "./names.js";
import type { OperationRegistry } from "./operations.js";
import { type ProtoTimestamp, timestamp } from "./timestamps.js";

export type WorkstationStateName =
  | "STATE_UNSPECIFIED"
  | "STATE_STARTING"
  | "STATE_RUNNING"
  | "STATE_STOPPING"
  | "STATE_STOPPED";

/** A workstation as the fake stores and returns it (proto field names, camelCase). */
export interface FakeWorkstationRecord {
  name: string;
  displayName: string;
  uid: string;
  reconciling: boolean;
  annotations: Record<string, string>;
  labels: Record<string, string>;
  env: Record<string, string>;
  createTime: ProtoTimestamp;
  updateTime: ProtoTimestamp;
  startTime?: ProtoTimestamp;
  deleteTime?: ProtoTimestamp;
  etag: string;
  state: WorkstationStateName;
  host: string;
}

interface Entry {
  record: FakeWorkstationRecord;
  /** The start/stop/delete operation in flight, if any. */
  pending?: { verb: "start" | "stop" | "delete"; operation: object };
}

const UPDATABLE = ["displayName", "labels", "annotations", "env"] as const;

export class WorkstationStore {
  readonly #entries = new Map<string, Entry>();

  constructor(
    private readonly clock: Clock,
    private readonly operations: OperationRegistry,
    private readonly configExists: (name: string) => boolean,
    private readonly onDeleted: (name: string) => void,
  ) {}

  has(name: string): boolean {
    return this.#entries.has(name);
  }

  /** Copies of all workstations, sorted by name. */
  all(): FakeWorkstationRecord[] {
    return [...this.#entries.values()]
      .map((e) => ({ ...e.record }))
      .sort((a, b) => a.name.localeCompare(b.name));
  }

  namesUnder(configName: string): string[] {
    return [...this.#entries.keys()].filter((name) => parentOf(name) === configName);
  }

  removeUnder(configName: string): void {
    for (const name of this.namesUnder(configName)) this.#remove(name);
  }

  get(name: string): FakeWorkstationRecord {
    return { ...this.#require(name).record };
  }

  list(parent: string, request: ListRequest): { page: FakeWorkstationRecord[]; nextPageToken: string } {
    this.#requireConfig(parent);
    return paginate(
      this.namesUnder(parent).map((name) => this.get(name)),
      request,
    );
  }

  create(parent: string, id: string, body: Partial<FakeWorkstationRecord>, validateOnly: boolean): object {
    this.#requireConfig(parent);
    requireResourceId("workstation_id", id);
    requireLabels(body.labels ?? {});
    const name = `${parent}/workstations/${id}`;
    if (this.#entries.has(name)) {
      throw new FakeStatusError(status.ALREADY_EXISTS, `workstation "${name}" already exists`);
    }
    const now = timestamp(this.clock.now());
    const record: FakeWorkstationRecord = {
      name,
      displayName: body.displayName ?? "",
      uid: randomUUID(),
      reconciling: true,
      annotations: { ...(body.annotations ?? {}) },
      labels: { ...(body.labels ?? {}) },
      env: { ...(body.env ?? {}) },
      createTime: now,
      updateTime: now,
      etag: newEtag(),
      state: "STATE_STOPPED",
      host: "",
    };
    if (!validateOnly) this.#entries.set(name, { record });
    return this.operations.start({
      target: name,
      verb: "create",
      responseType: "Workstation",
      complete: () => {
        if (validateOnly) return { ...record, reconciling: false };
        const entry = this.#entries.get(name);
        if (!entry || entry.record.uid !== record.uid) {
          throw new FakeStatusError(
            status.ABORTED,
            `workstation "${name}" was deleted before it was created`,
          );
        }
        if (!entry.pending) this.#change(entry, { reconciling: false });
        return { ...entry.record };
      },
    });
  }

  update(body: Partial<FakeWorkstationRecord>, paths: string[] | undefined): object {
    const entry = this.#require(requireName("workstation", "workstation.name", body.name ?? ""));
    this.#checkEtag(entry, body.etag);
    const next = applyUpdateMask(entry.record, body, paths, UPDATABLE);
    requireLabels(next.labels);
    this.#change(entry, next);
    return this.operations.start({
      target: entry.record.name,
      verb: "update",
      responseType: "Workstation",
      complete: () => this.get(entry.record.name),
    });
  }

  start(name: string, etag: string): object {
    const entry = this.#require(name);
    this.#checkEtag(entry, etag);
    this.#refuseDuring(entry, "start", ["delete", "stop"]);
    if (entry.pending?.verb === "start") return entry.pending.operation;
    if (entry.record.state === "STATE_RUNNING") return this.#noOp(entry, "start");
    this.#change(entry, { state: "STATE_STARTING", reconciling: true });
    return this.#transition(entry, "start", () => ({
      state: "STATE_RUNNING",
      host: `${idOf(name)}.${idOf(parentOf(parentOf(name)))}.cloudworkstations.dev`,
      startTime: timestamp(this.clock.now()),
    }));
  }

  stop(name: string, etag: string): object {
    const entry = this.#require(name);
    this.#checkEtag(entry, etag);
    this.#refuseDuring(entry, "stop", ["delete", "start"]);
    if (entry.pending?.verb === "stop") return entry.pending.operation;
    if (entry.record.state === "STATE_STOPPED") return this.#noOp(entry, "stop");
    this.#change(entry, { state: "STATE_STOPPING", reconciling: true });
    return this.#transition(entry, "stop", () => ({ state: "STATE_STOPPED", host: "" }));
  }

  delete(name: string, etag: string): object {
    const entry = this.#require(name);
    this.#checkEtag(entry, etag);
    if (entry.pending?.verb === "delete") return entry.pending.operation;
    const uid = entry.record.uid;
    this.#change(entry, { reconciling: true, deleteTime: timestamp(this.clock.now()) });
    // Registered before the operation starts: with zero polls to complete it finishes inside start().
    const pending: NonNullable<Entry["pending"]> = { verb: "delete", operation: {} };
    entry.pending = pending;
    pending.operation = this.operations.start({
      target: name,
      verb: "delete",
      responseType: "Workstation",
      complete: () => {
        const current = this.#entries.get(name);
        const last = current && current.record.uid === uid ? { ...current.record } : undefined;
        if (last) this.#remove(name);
        return { ...(last ?? entry.record), reconciling: false };
      },
    });
    return pending.operation;
  }

  /** GCP stopping a RUNNING workstation after its idle timeout: STOPPED at once, no operation. */
  stopByIdleTimeout(name: string): void {
    const entry = this.#require(name);
    if (entry.record.state !== "STATE_RUNNING" || entry.pending) {
      throw new Error(
        `stopByIdleTimeout: ${name} is ${entry.record.state}${entry.pending ? " (busy)" : ""}, not RUNNING`,
      );
    }
    this.#change(entry, { state: "STATE_STOPPED", host: "" });
  }

  generateAccessToken(name: string, ttlSeconds: number): object {
    const entry = this.#require(name);
    if (entry.record.state !== "STATE_RUNNING") {
      throw new FakeStatusError(
        status.FAILED_PRECONDITION,
        `workstation "${name}" is ${entry.record.state}; access tokens are only issued while it is running`,
      );
    }
    const expires = new Date(this.clock.now().getTime() + (ttlSeconds > 0 ? ttlSeconds : 3600) * 1000);
    return { accessToken: randomBytes(24).toString("base64url"), expireTime: timestamp(expires) };
  }

  #transition(
    entry: Entry,
    verb: "start" | "stop",
    finalFields: () => Partial<FakeWorkstationRecord>,
  ): object {
    const name = entry.record.name;
    const pending: NonNullable<Entry["pending"]> = { verb, operation: {} };
    entry.pending = pending;
    pending.operation = this.operations.start({
      target: name,
      verb,
      responseType: "Workstation",
      complete: () => {
        if (this.#entries.get(name) !== entry || entry.pending !== pending) {
          throw new FakeStatusError(
            status.ABORTED,
            `${verb} of workstation "${name}" was superseded by a delete`,
          );
        }
        entry.pending = undefined;
        this.#change(entry, { ...finalFields(), reconciling: false });
        return { ...entry.record };
      },
    });
    return pending.operation;
  }

  #noOp(entry: Entry, verb: "start" | "stop"): object {
    return this.operations.start({
      target: entry.record.name,
      verb,
      responseType: "Workstation",
      complete: () => this.get(entry.record.name),
    });
  }

  #refuseDuring(entry: Entry, verb: string, blocking: Array<"start" | "stop" | "delete">): void {
    const pending = entry.pending?.verb;
    if (pending && blocking.includes(pending)) {
      throw new FakeStatusError(
        status.FAILED_PRECONDITION,
        `cannot ${verb} workstation "${entry.record.name}" while a ${pending} operation is in progress`,
      );
    }
  }

  #checkEtag(entry: Entry, etag: string | undefined): void {
    if (etag && etag !== entry.record.etag) {
      throw new FakeStatusError(
        status.ABORTED,
        `etag "${etag}" of workstation "${entry.record.name}" is stale; read it again and retry`,
      );
    }
  }

  #change(entry: Entry, fields: Partial<FakeWorkstationRecord>): void {
    entry.record = { ...entry.record, ...fields, etag: newEtag(), updateTime: timestamp(this.clock.now()) };
  }

  #remove(name: string): void {
    this.#entries.delete(name);
    this.onDeleted(name);
  }

  #require(name: string): Entry {
    requireName("workstation", "name", name);
    const entry = this.#entries.get(name);
    if (!entry) throw new FakeStatusError(status.NOT_FOUND, `workstation "${name}" not found`);
    return entry;
  }

  #requireConfig(parent: string): void {
    requireName("config", "parent", parent);
    if (!this.configExists(parent)) {
      throw new FakeStatusError(status.NOT_FOUND, `workstation config "${parent}" not found`);
    }
  }
}
