/**
 * Polling for tests and benchmarks: the one way to wait for something another process or a controller
 * does. Never a fixed sleep; a generous timeout, because CI runs every suite at once on two cores.
 */

export interface WaitOptions {
  /** Give up after this long (default 30 s). */
  timeoutMs?: number;
  /** Pause between probes (default 50 ms). */
  intervalMs?: number;
}

/** What a truthy check leaves of T. */
export type Truthy<T> = Exclude<T, false | null | undefined | 0 | "">;

function describeValue(value: unknown): string {
  if (value instanceof Error) return value.message;
  try {
    return JSON.stringify(value)?.slice(0, 500) ?? String(value);
  } catch {
    return String(value);
  }
}

/**
 * Calls `probe` until it returns a truthy value and returns that value. A probe that throws counts as
 * "not yet". On timeout it throws naming `what` and the last value or error seen.
 */
export async function waitFor<T>(
  what: string,
  probe: () => T | Promise<T>,
  { timeoutMs = 30_000, intervalMs = 50 }: WaitOptions = {},
): Promise<Truthy<T>> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      last = await probe();
      if (last) return last as Truthy<T>;
    } catch (error) {
      last = error;
    }
    if (Date.now() > deadline) {
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}; last: ${describeValue(last)}`, {
        cause: last instanceof Error ? last : undefined,
      });
    }
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}
