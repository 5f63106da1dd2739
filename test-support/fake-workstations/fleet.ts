/**
 * Workstation clusters and workstation configs of the fake Cloud Workstations API. Both share one
 * lifecycle: create (LRO; visible at once with `reconciling` until done), get, list, update of a few
 * fields, delete (LRO; refused while children exist unless `force`). Their other fields (machine type,
 * idle timeout, …) are stored as sent and returned unchanged — the fake does not act on them.
 *
 * Test infrastructure: not used in production.
 */
import { randomUUID } from "node:crypto";
import { status } from "@grpc/grpc-js";
import type { Clock } from "../../lib/clock.js";
import { applyUpdateMask, type ListRequest, newEtag, paginate } from "./collections.js";
import {
  FakeStatusError,
  idOf,
  parentOf,
  type ResourceKind,
  requireLabels,
  requireName,
  requireResourceId,
} from "./names.js";
import type { OperationRegistry } from "./operations.js";
import { type ProtoTimestamp, timestamp } from "./timestamps.js";

export interface FleetResource {
  name: string;
  displayName: string;
  uid: string;
  reconciling: boolean;
  labels: Record<string, string>;
  annotations: Record<string, string>;
  etag: string;
  createTime: ProtoTimestamp;
  updateTime: ProtoTimestamp;
  [field: string]: unknown;
}

const UPDATABLE = ["displayName", "labels", "annotations"] as const;

interface Hooks {
  /** Whether the parent (location or cluster) of a new resource exists. */
  parentExists(parent: string): boolean;
  /** Names of children that block a delete without `force`. */
  children(name: string): string[];
  /** Removes children on a forced delete. */
  removeChildren(name: string): void;
}

export class FleetStore {
  readonly #items = new Map<string, FleetResource>();

  constructor(
    readonly kind: Extract<ResourceKind, "cluster" | "config">,
    private readonly clock: Clock,
    private readonly operations: OperationRegistry,
    private readonly hooks: Hooks,
  ) {}

  get responseType(): "WorkstationCluster" | "WorkstationConfig" {
    return this.kind === "cluster" ? "WorkstationCluster" : "WorkstationConfig";
  }

  has(name: string): boolean {
    return this.#items.has(name);
  }

  names(): string[] {
    return [...this.#items.keys()];
  }

  /** Removes every resource directly under `parent`, with its children (a forced delete of the parent). */
  removeUnder(parent: string): void {
    for (const name of this.names().filter((n) => parentOf(n) === parent)) {
      this.hooks.removeChildren(name);
      this.#items.delete(name);
    }
  }

  /** Inserts a ready resource directly (test setup), bypassing the API. */
  seed(name: string, fields: Partial<FleetResource> = {}): FleetResource {
    requireName(this.kind, "name", name);
    requireResourceId(`${this.kind} id`, idOf(name));
    const parent = parentOf(name);
    if (this.kind === "config" && !this.hooks.parentExists(parent)) {
      throw new Error(`cannot seed config ${name}: seed its cluster ${parent} first`);
    }
    const record = this.#newRecord(name, fields);
    record.reconciling = false;
    this.#items.set(name, record);
    return { ...record };
  }

  get(name: string): FleetResource {
    requireName(this.kind, "name", name);
    const record = this.#items.get(name);
    if (!record) throw new FakeStatusError(status.NOT_FOUND, `${this.kind} "${name}" not found`);
    return { ...record };
  }

  list(parent: string, request: ListRequest): { page: FleetResource[]; nextPageToken: string } {
    requireName(this.kind === "cluster" ? "location" : "cluster", "parent", parent);
    if (this.kind === "config" && !this.hooks.parentExists(parent)) {
      throw new FakeStatusError(status.NOT_FOUND, `cluster "${parent}" not found`);
    }
    const children = [...this.#items.values()].filter((r) => parentOf(r.name) === parent);
    return paginate(children, request);
  }

  create(parent: string, id: string, body: Partial<FleetResource>, validateOnly: boolean): object {
    requireName(this.kind === "cluster" ? "location" : "cluster", "parent", parent);
    requireResourceId(`${this.kind} id`, id);
    requireLabels(body.labels ?? {});
    if (this.kind === "config" && !this.hooks.parentExists(parent)) {
      throw new FakeStatusError(status.NOT_FOUND, `cluster "${parent}" not found`);
    }
    const name = `${parent}/${this.kind === "cluster" ? "workstationClusters" : "workstationConfigs"}/${id}`;
    if (this.#items.has(name))
      throw new FakeStatusError(status.ALREADY_EXISTS, `${this.kind} "${name}" already exists`);
    const record = this.#newRecord(name, body);
    if (!validateOnly) this.#items.set(name, record);
    return this.operations.start({
      target: name,
      verb: "create",
      responseType: this.responseType,
      complete: () => {
        if (validateOnly) return { ...record, reconciling: false };
        return this.#settle(name);
      },
    });
  }

  update(body: Partial<FleetResource>, paths: string[] | undefined): object {
    const name = requireName(this.kind, `${this.kind}.name`, body.name ?? "");
    const current = this.get(name);
    if (body.etag && body.etag !== current.etag) {
      throw new FakeStatusError(status.ABORTED, `etag "${body.etag}" of ${this.kind} "${name}" is stale`);
    }
    const next = applyUpdateMask(current, body, paths, UPDATABLE);
    requireLabels(next.labels ?? {});
    this.#items.set(name, { ...next, etag: newEtag(), updateTime: timestamp(this.clock.now()) });
    return this.operations.start({
      target: name,
      verb: "update",
      responseType: this.responseType,
      complete: () => this.get(name),
    });
  }

  delete(name: string, etag: string, force: boolean): object {
    const current = this.get(name);
    if (etag && etag !== current.etag) {
      throw new FakeStatusError(status.ABORTED, `etag "${etag}" of ${this.kind} "${name}" is stale`);
    }
    const children = this.hooks.children(name);
    if (children.length > 0 && !force) {
      throw new FakeStatusError(
        status.FAILED_PRECONDITION,
        `${this.kind} "${name}" still has ${children.length} child resource(s) (e.g. ${idOf(children[0]!)}); ` +
          "delete them first or set force",
      );
    }
    this.#items.set(name, { ...current, reconciling: true });
    return this.operations.start({
      target: name,
      verb: "delete",
      responseType: this.responseType,
      complete: () => {
        const last = this.get(name);
        this.hooks.removeChildren(name);
        this.#items.delete(name);
        return { ...last, reconciling: false };
      },
    });
  }

  #settle(name: string): FleetResource {
    const record = this.#items.get(name);
    if (!record)
      throw new FakeStatusError(status.ABORTED, `${this.kind} "${name}" was deleted before it was ready`);
    record.reconciling = false;
    return { ...record };
  }

  #newRecord(name: string, fields: Partial<FleetResource>): FleetResource {
    const now = timestamp(this.clock.now());
    return {
      ...fields,
      name,
      displayName: fields.displayName ?? "",
      uid: randomUUID(),
      reconciling: true,
      labels: { ...(fields.labels ?? {}) },
      annotations: { ...(fields.annotations ?? {}) },
      etag: newEtag(),
      createTime: now,
      updateTime: now,
    };
  }
}
