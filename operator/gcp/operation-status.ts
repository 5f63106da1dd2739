/**
 * Turns one google.longrunning.Operation from the Workstations API into the gateway's OperationStatus:
 * the verb and target from its OperationMetadata, the Workstation it returned, or its error classified.
 */
import { protos } from "@google-cloud/workstations";
import { GcpError } from "./errors.js";
import { fromProtoWorkstation, type GcpWorkstation, toDate } from "./workstation-shape.js";

/** Result of polling an operation once. */
export type OperationStatus =
  | { name: string; done: false; verb?: string; target?: string }
  | {
      name: string;
      done: true;
      /** What the operation did ("create", "start", "stop", "delete", "update"), from its metadata. */
      verb?: string;
      /** Full name of the resource the operation acted on, from its metadata. */
      target?: string;
      /** Present when the operation failed: the google.rpc.Status it carries, classified. */
      error?: GcpError;
      /** The workstation the operation returned, when it succeeded. */
      workstation?: GcpWorkstation;
      /** When the operation finished (its metadata's end_time), if the API says. */
      endTime?: Date;
    };

interface AnyLike {
  type_url?: string | null;
  typeUrl?: string | null;
  /** Bytes over gRPC; base64 text in proto3 JSON (REST). */
  value?: Uint8Array | string | null;
}

export interface RawOperationLike {
  name?: string | null;
  done?: boolean | null;
  metadata?: AnyLike | null;
  response?: AnyLike | null;
  error?: { code?: number | null; message?: string | null } | null;
}

const TYPE_PREFIX = "type.googleapis.com/google.cloud.workstations.v1.";

function unpack(any: AnyLike | null | undefined, type: string): Uint8Array | undefined {
  const url = any?.type_url ?? any?.typeUrl;
  if (url !== TYPE_PREFIX + type || !any?.value) return undefined;
  return typeof any.value === "string" ? Buffer.from(any.value, "base64") : any.value;
}

export function toOperationStatus(name: string, raw: RawOperationLike): OperationStatus {
  const metadataBytes = unpack(raw.metadata, "OperationMetadata");
  const metadata = metadataBytes
    ? protos.google.cloud.workstations.v1.OperationMetadata.decode(metadataBytes)
    : undefined;
  const about = {
    ...(metadata?.verb ? { verb: metadata.verb } : {}),
    ...(metadata?.target ? { target: metadata.target } : {}),
  };
  if (!raw.done) return { name, done: false, ...about };
  const endTime = toDate(metadata?.endTime);
  if (endTime) Object.assign(about, { endTime });
  if (raw.error) {
    const call = `${about.verb ?? "long-running"} operation ${name}`;
    const error = new GcpError(
      raw.error.code ?? 2,
      call,
      about.target ?? "(unknown target)",
      raw.error.message ?? "",
    );
    return { name, done: true, ...about, error };
  }
  const workstationBytes = unpack(raw.response, "Workstation");
  if (!workstationBytes) return { name, done: true, ...about };
  const workstation = fromProtoWorkstation(
    protos.google.cloud.workstations.v1.Workstation.decode(workstationBytes),
  );
  return { name, done: true, ...about, workstation };
}
