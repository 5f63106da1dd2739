/**
 * One error type for every Cloud Workstations call, classified so the controller runtime can decide
 * without knowing gRPC: back off and retry, re-read and retry, or surface a condition.
 */
import { status } from "@grpc/grpc-js";

/**
 * - `notFound` / `alreadyExists`: facts about the resource, normally handled by the gateway itself
 *   (delete → done, create → adopt); surfaced where the caller must decide.
 * - `conflict`: ABORTED — a stale etag or concurrent change; re-read and try again.
 * - `retryable`: transient (UNAVAILABLE, RESOURCE_EXHAUSTED, DEADLINE_EXCEEDED, INTERNAL, …); back off.
 * - `terminal`: retrying the same request cannot help (INVALID_ARGUMENT, PERMISSION_DENIED,
 *   FAILED_PRECONDITION, UNAUTHENTICATED, UNIMPLEMENTED, …); report it as a condition.
 */
export type GcpErrorKind = "notFound" | "alreadyExists" | "conflict" | "retryable" | "terminal";

const KIND_BY_CODE: Partial<Record<status, GcpErrorKind>> = {
  [status.NOT_FOUND]: "notFound",
  [status.ALREADY_EXISTS]: "alreadyExists",
  [status.ABORTED]: "conflict",
  [status.UNAVAILABLE]: "retryable",
  [status.RESOURCE_EXHAUSTED]: "retryable",
  [status.DEADLINE_EXCEEDED]: "retryable",
  [status.INTERNAL]: "retryable",
  [status.CANCELLED]: "retryable",
  [status.UNKNOWN]: "retryable",
  [status.INVALID_ARGUMENT]: "terminal",
  [status.PERMISSION_DENIED]: "terminal",
  [status.FAILED_PRECONDITION]: "terminal",
  [status.UNAUTHENTICATED]: "terminal",
  [status.UNIMPLEMENTED]: "terminal",
  [status.OUT_OF_RANGE]: "terminal",
  [status.DATA_LOSS]: "terminal",
};

/** The kind of a gRPC status code; unknown codes are treated as transient (the runtime never gives up). */
export function classifyStatusCode(code: number): GcpErrorKind {
  return KIND_BY_CODE[code as status] ?? "retryable";
}

/** `UNAVAILABLE` for 14, etc. */
export function statusCodeName(code: number): string {
  return status[code] ?? `CODE_${code}`;
}

export class GcpError extends Error {
  readonly kind: GcpErrorKind;

  constructor(
    /** The gRPC status code (google.rpc.Code). */
    readonly code: number,
    /** The gateway call that failed, e.g. "startWorkstation". */
    readonly call: string,
    /** The resource the call was about. */
    readonly resource: string,
    readonly detail: string,
    options?: { cause?: unknown },
  ) {
    super(`Cloud Workstations ${call} on ${resource} failed: ${statusCodeName(code)}: ${detail}`, options);
    this.name = "GcpError";
    this.kind = classifyStatusCode(code);
  }

  get codeName(): string {
    return statusCodeName(this.code);
  }

  /** Whether the same intent may succeed later: transient failures and etag conflicts. */
  get retryable(): boolean {
    return this.kind === "retryable" || this.kind === "conflict";
  }

  get terminal(): boolean {
    return this.kind === "terminal";
  }
}

/** Wraps whatever a client call threw; errors without a gRPC code count as UNKNOWN (transient). */
export function toGcpError(error: unknown, call: string, resource: string): GcpError {
  if (error instanceof GcpError) return error;
  const code =
    typeof (error as { code?: unknown })?.code === "number"
      ? (error as { code: number }).code
      : status.UNKNOWN;
  const detail =
    (error as { details?: unknown })?.details && typeof (error as { details: unknown }).details === "string"
      ? (error as { details: string }).details
      : error instanceof Error
        ? error.message
        : String(error);
  return new GcpError(code, call, resource, detail, { cause: error });
}

export function isGcpError(error: unknown, kind?: GcpErrorKind): error is GcpError {
  return error instanceof GcpError && (kind === undefined || error.kind === kind);
}
