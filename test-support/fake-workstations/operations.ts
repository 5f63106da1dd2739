/**
 * Long-running operations of the fake Cloud Workstations API. An operation completes after it has been
 * polled (GetOperation) a configured number of times, so tests control progress by polling rather than
 * by waiting on wall-clock time. Completion runs the operation's effect (e.g. STARTING → RUNNING); an
 * effect that throws a FakeStatusError completes the operation with that error.
 *
 * Test infrastructure: not used in production.
 */
import { randomBytes } from "node:crypto";
import { status } from "@grpc/grpc-js";
import type { Clock } from "../../lib/clock.js";
import { FakeStatusError, locationOf } from "./names.js";
import { packAny } from "./protos.js";
import { timestamp } from "./timestamps.js";

export type OperationResponseType = "Workstation" | "WorkstationConfig" | "WorkstationCluster";

export interface OperationSpec {
  target: string;
  verb: "create" | "update" | "delete" | "start" | "stop";
  responseType: OperationResponseType;
  /** Runs once, when the operation completes; returns the response message. */
  complete: () => object;
}

interface OperationRecord extends OperationSpec {
  name: string;
  createTime: Date;
  pollsLeft: number;
  done: boolean;
  endTime?: Date;
  response?: object;
  error?: { code: number; message: string };
}

/** A read-only view of an operation, for test inspection. */
export interface OperationSnapshot {
  name: string;
  target: string;
  verb: string;
  done: boolean;
  error?: { code: number; message: string };
}

export class OperationRegistry {
  readonly #operations = new Map<string, OperationRecord>();
  #sequence = 0;

  constructor(
    private readonly clock: Clock,
    private readonly pollsToComplete: () => number,
  ) {}

  /** Registers an operation; with zero polls to complete it is done before the caller sees it. */
  start(spec: OperationSpec): object {
    this.#sequence += 1;
    const name = `${locationOf(spec.target)}/operations/operation-${this.#sequence}-${randomBytes(4).toString("hex")}`;
    const record: OperationRecord = {
      ...spec,
      name,
      createTime: this.clock.now(),
      pollsLeft: this.pollsToComplete(),
      done: false,
    };
    this.#operations.set(name, record);
    if (record.pollsLeft <= 0) this.#finish(record);
    return this.#toProto(record);
  }

  /** One poll: counts towards completion, then answers with the operation's current state. */
  poll(name: string): object {
    const record = this.#require(name);
    if (!record.done) {
      record.pollsLeft -= 1;
      if (record.pollsLeft <= 0) this.#finish(record);
    }
    return this.#toProto(record);
  }

  list(locationName: string): object[] {
    return [...this.#operations.values()]
      .filter((op) => op.name.startsWith(`${locationName}/`))
      .map((op) => this.#toProto(op));
  }

  delete(name: string): void {
    this.#require(name);
    this.#operations.delete(name);
  }

  /** Completes every pending operation now, in creation order (test helper). */
  completeAll(): void {
    for (const record of this.#operations.values()) if (!record.done) this.#finish(record);
  }

  snapshots(): OperationSnapshot[] {
    return [...this.#operations.values()].map((op) => ({
      name: op.name,
      target: op.target,
      verb: op.verb,
      done: op.done,
      ...(op.error ? { error: op.error } : {}),
    }));
  }

  #require(name: string): OperationRecord {
    const record = this.#operations.get(name);
    if (!record) throw new FakeStatusError(status.NOT_FOUND, `operation "${name}" not found`);
    return record;
  }

  #finish(record: OperationRecord): void {
    record.done = true;
    record.endTime = this.clock.now();
    try {
      record.response = record.complete();
    } catch (error) {
      if (!(error instanceof FakeStatusError)) throw error;
      record.error = { code: error.code, message: error.message };
    }
  }

  #toProto(record: OperationRecord): object {
    const metadata = packAny("OperationMetadata", {
      createTime: timestamp(record.createTime),
      ...(record.endTime ? { endTime: timestamp(record.endTime) } : {}),
      target: record.target,
      verb: record.verb,
      apiVersion: "v1",
    });
    const result = record.error
      ? { error: { code: record.error.code, message: record.error.message, details: [] } }
      : record.response
        ? { response: packAny(record.responseType, record.response) }
        : {};
    return { name: record.name, metadata, done: record.done, ...result };
  }
}
