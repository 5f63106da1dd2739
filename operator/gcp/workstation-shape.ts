/**
 * The operator's view of a Cloud Workstation, normalised from whatever the client returns: unary calls
 * decode enums as names ("STATE_RUNNING"), long-running-operation results as numbers (2); timestamps
 * arrive as {seconds: Long|string|number, nanos}.
 */
import { createHash } from "node:crypto";

export const WORKSTATION_STATES = [
  "STATE_UNSPECIFIED",
  "STATE_STARTING",
  "STATE_RUNNING",
  "STATE_STOPPING",
  "STATE_STOPPED",
] as const;
export type WorkstationState = (typeof WORKSTATION_STATES)[number];

export interface GcpWorkstation {
  /** Full resource name: projects/…/workstationConfigs/…/workstations/{id}. */
  name: string;
  uid: string;
  displayName: string;
  state: WorkstationState;
  /** Hostname to reach the workstation; only while it runs. */
  host?: string;
  etag: string;
  /** True while GCP is changing the workstation (an operation is in flight). */
  reconciling: boolean;
  labels: Record<string, string>;
  annotations: Record<string, string>;
  /**
   * SHA-256 (hex) of each per-workstation env value, by variable name. Only digests leave the gateway: the
   * env carries the workstation's credential (ADR 0150), which must not reach logs, status or events.
   */
  envSha256: Record<string, string>;
  createTime?: Date;
  startTime?: Date;
  /** Set once deletion has begun. */
  deleteTime?: Date;
}

interface TimestampLike {
  seconds?: number | string | { toString(): string } | null;
  nanos?: number | null;
}

/** What the client hands back for a workstation (IWorkstation), loosely typed on purpose. */
export interface RawWorkstationLike {
  name?: string | null;
  uid?: string | null;
  displayName?: string | null;
  state?: string | number | null;
  host?: string | null;
  etag?: string | null;
  reconciling?: boolean | null;
  labels?: Record<string, string> | null;
  annotations?: Record<string, string> | null;
  env?: Record<string, string> | null;
  createTime?: TimestampLike | null;
  startTime?: TimestampLike | null;
  deleteTime?: TimestampLike | null;
}

/** The state's enum name, from either a name or a number; anything unknown is STATE_UNSPECIFIED. */
export function normaliseState(state: string | number | null | undefined): WorkstationState {
  if (typeof state === "number") return WORKSTATION_STATES[state] ?? "STATE_UNSPECIFIED";
  return (WORKSTATION_STATES as readonly string[]).includes(state ?? "")
    ? (state as WorkstationState)
    : "STATE_UNSPECIFIED";
}

export function toDate(timestamp: TimestampLike | null | undefined): Date | undefined {
  if (!timestamp || timestamp.seconds === undefined || timestamp.seconds === null) return undefined;
  const seconds = Number(timestamp.seconds.toString());
  if (!Number.isFinite(seconds) || (seconds === 0 && !timestamp.nanos)) return undefined;
  return new Date(seconds * 1000 + Math.floor((timestamp.nanos ?? 0) / 1_000_000));
}

export function fromProtoWorkstation(raw: RawWorkstationLike): GcpWorkstation {
  const workstation: GcpWorkstation = {
    name: raw.name ?? "",
    uid: raw.uid ?? "",
    displayName: raw.displayName ?? "",
    state: normaliseState(raw.state),
    etag: raw.etag ?? "",
    reconciling: raw.reconciling ?? false,
    labels: { ...(raw.labels ?? {}) },
    annotations: { ...(raw.annotations ?? {}) },
    envSha256: Object.fromEntries(
      Object.entries(raw.env ?? {}).map(([name, value]) => [
        name,
        createHash("sha256").update(value, "utf8").digest("hex"),
      ]),
    ),
  };
  if (raw.host) workstation.host = raw.host;
  const createTime = toDate(raw.createTime);
  if (createTime) workstation.createTime = createTime;
  const startTime = toDate(raw.startTime);
  if (startTime) workstation.startTime = startTime;
  const deleteTime = toDate(raw.deleteTime);
  if (deleteTime) workstation.deleteTime = deleteTime;
  return workstation;
}
