/**
 * client-go's `retry.RetryOnConflict`: a read-modify-write that lost a race (409 Conflict, stale
 * resourceVersion) is run again from its read. 409 AlreadyExists (a create) is not a lost race and is
 * thrown at once, as is every other error.
 */
import { KubeApiError } from "./errors.js";

export const DEFAULT_CONFLICT_ATTEMPTS = 5;

/** Whether an error is a write with a stale resourceVersion (409 reason Conflict), not AlreadyExists. */
export function isStaleWrite(error: unknown): boolean {
  return error instanceof KubeApiError && error.status === 409 && error.reason !== "AlreadyExists";
}

/** Runs `run` (which re-reads and re-writes) up to `attempts` times while it fails with 409 Conflict. */
export async function retryOnConflict<T>(
  run: () => Promise<T>,
  attempts: number = DEFAULT_CONFLICT_ATTEMPTS,
): Promise<T> {
  if (!Number.isInteger(attempts) || attempts < 1) {
    throw new Error(`retryOnConflict needs attempts >= 1, got ${attempts}`);
  }
  for (let attempt = 1; ; attempt++) {
    try {
      return await run();
    } catch (error) {
      if (attempt >= attempts || !isStaleWrite(error)) throw error;
    }
  }
}
