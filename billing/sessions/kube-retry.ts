/**
 * Bounded retries of the sessions API's Kubernetes calls. A busy or failing API server (429, 5xx, no
 * answer, an answer slower than an attempt may take) is retried with exponential backoff that honours
 * Retry-After, within a fixed budget per call; past the budget the request answers 503 with Retry-After,
 * so a container backs off instead of hanging for the client library's default minutes or seeing a 500
 * (docs/adr/0126). Other answers (404, 409, 422, …) are the caller's to interpret and pass straight through.
 */
import { AsyncLocalStorage } from "node:async_hooks";
import { setTimeout as sleep } from "node:timers/promises";
import { httpStatus, KubeApiError } from "../../lib/kube/errors.js";
import { ApiError } from "../http/errors.js";

export interface KubeRetryPolicy {
  /** Total time one call may take, retries included. */
  budgetMs: number;
  /** Longest wait for one attempt's answer (the API server's latency). */
  attemptTimeoutMs: number;
  /** First backoff; doubles per attempt up to maxDelayMs (Retry-After overrides it). */
  baseDelayMs: number;
  maxDelayMs: number;
}

export const DEFAULT_KUBE_RETRY: KubeRetryPolicy = {
  budgetMs: 4_000,
  attemptTimeoutMs: 2_000,
  baseDelayMs: 100,
  maxDelayMs: 1_000,
};

/** All Kubernetes calls of one request together get at most this long (a validate makes up to four). */
export const REQUEST_BUDGET_MS = 5_000;

const requestDeadline = new AsyncLocalStorage<number>();

/** Runs one request's work so that its Kubernetes calls share one deadline (`budgetMs` from now). */
export function withRequestBudget<T>(run: () => Promise<T>, budgetMs = REQUEST_BUDGET_MS): Promise<T> {
  return requestDeadline.run(Date.now() + budgetMs, run);
}

/** The Kubernetes API could not answer within the budget: 503, and when to try again. */
export class ClusterUnavailable extends ApiError {
  constructor(retryAfterSeconds: number, what: string, cause: unknown) {
    super(
      503,
      "cluster_unavailable",
      `the Kubernetes API is unavailable (${what}: ${describe(cause)}); retry after ${retryAfterSeconds} s`,
      retryAfterSeconds,
    );
  }
}

class AttemptTimedOut extends Error {
  constructor(ms: number) {
    super(`no answer within ${ms} ms`);
    this.name = "AttemptTimedOut";
  }
}

const RETRYABLE_STATUS = new Set([429, 500, 502, 503, 504]);

/** Whether a failed attempt may be retried: throttling, server errors and no answer at all. */
export function retryable(error: unknown): boolean {
  if (error instanceof AttemptTimedOut) return true;
  const status = httpStatus(error);
  return status === undefined ? !(error instanceof ApiError) : RETRYABLE_STATUS.has(status);
}

/**
 * Seconds the server asked to wait: lib/kube reads the Retry-After header, else the Status body's
 * details.retryAfterSeconds, into KubeApiError.retryAfterSeconds.
 */
export function retryAfterSecondsOf(error: unknown): number | undefined {
  return error instanceof KubeApiError ? error.retryAfterSeconds : undefined;
}

/** The wait before attempt `attempt + 1` (pure): Retry-After when given, else capped exponential backoff. */
export function backoffMs(error: unknown, attempt: number, policy: KubeRetryPolicy): number {
  const asked = retryAfterSecondsOf(error);
  if (asked !== undefined) return asked * 1000;
  return Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** attempt);
}

/** Runs `call` with bounded retries; throws ClusterUnavailable when the budget runs out. */
export async function withKubeRetry<T>(
  what: string,
  call: () => Promise<T>,
  policy: KubeRetryPolicy = DEFAULT_KUBE_RETRY,
): Promise<T> {
  const deadline = Math.min(
    Date.now() + policy.budgetMs,
    requestDeadline.getStore() ?? Number.POSITIVE_INFINITY,
  );
  for (let attempt = 0; ; attempt++) {
    const left = deadline - Date.now();
    if (left <= 0)
      throw new ClusterUnavailable(1, what, new Error("the request's time for Kubernetes calls is used up"));
    try {
      return await withTimeout(call(), Math.min(policy.attemptTimeoutMs, left));
    } catch (error) {
      if (!retryable(error)) throw error;
      const delay = backoffMs(error, attempt, policy);
      if (Date.now() + delay >= deadline) {
        const asked = retryAfterSecondsOf(error);
        throw new ClusterUnavailable(Math.max(1, asked ?? Math.ceil(delay / 1000)), what, error);
      }
      await sleep(delay);
    }
  }
}

async function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new AttemptTimedOut(ms)), ms);
  });
  // The abandoned attempt may still settle later; its outcome is deliberately ignored.
  promise.catch(() => {});
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

function describe(error: unknown): string {
  const status = httpStatus(error);
  if (status !== undefined) return `HTTP ${status}`;
  return error instanceof Error ? error.message : String(error);
}
