/**
 * How a failed Kubernetes API call looks to billing and the operator — the one place that maps answers to
 * errors (issue 18). An answer with a status ≥ 400 is a `KubeApiError` carrying the HTTP status, the
 * Status body's reason/message and Retry-After; a request that got no answer (refused, reset, timed out)
 * is a `KubeConnectionError`. `httpStatus()` also understands @kubernetes/client-node's ApiException
 * (`.code`), which the sandbox and rehearsal tools still use, without importing client-node.
 */
import type { Status } from "./objects.js";

export class KubeApiError extends Error {
  override readonly name = "KubeApiError";
  constructor(
    /** HTTP status: 404, 409, 422, 429, 5xx, … */
    readonly status: number,
    /** metav1.Status reason: NotFound, AlreadyExists, Conflict, Invalid, Forbidden, TooManyRequests, … */
    readonly reason: string | undefined,
    message: string,
    /** Seconds the server asked to wait (Retry-After header, else the Status's details.retryAfterSeconds). */
    readonly retryAfterSeconds: number | undefined,
    /** The Status body as answered. */
    readonly body: Status | undefined,
    /** `VERB path` of the request, for messages and logs (never a token). */
    readonly request: string,
  ) {
    super(message);
  }
}

/** The request never got an HTTP answer (connection refused or reset, TLS failure, timeout, aborted). */
export class KubeConnectionError extends Error {
  override readonly name = "KubeConnectionError";
  constructor(
    message: string,
    readonly request: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/**
 * HTTP status of a failed Kubernetes API call (404, 409, 422, …), or undefined for failures that never got
 * an HTTP answer.
 */
export function httpStatus(error: unknown): number | undefined {
  if (error instanceof KubeApiError) return error.status;
  const code =
    (error as { statusCode?: unknown } | undefined)?.statusCode ??
    (error as { code?: unknown } | undefined)?.code;
  return typeof code === "number" ? code : undefined;
}

export const isNotFound = (error: unknown): boolean => httpStatus(error) === 404;
/** 409: AlreadyExists on create, Conflict on a write with a stale resourceVersion. */
export const isConflict = (error: unknown): boolean => httpStatus(error) === 409;
