/**
 * Retry pacing for the work queue, after client-go's `workqueue.DefaultControllerRateLimiter`:
 * a per-key exponential backoff (a failing key waits longer each time, capped, never dropped) combined
 * with an overall token bucket (a burst of failures across many keys cannot hammer the APIs).
 * Time comes from an injected clock so the arithmetic is testable without waiting.
 */
import type { Clock } from "../../lib/clock.js";
import { TokenBucket } from "../../lib/token-bucket.js";

/** Decides how long a key should wait before its next attempt. */
export interface RateLimiter {
  /** Delay in ms before `key` may be processed again; counts one more failure for the key. */
  when(key: string): number;
  /** Forget the key's failure history (call after a success). */
  forget(key: string): void;
  /** How many times the key has been rate-limited since it was last forgotten. */
  retries(key: string): number;
}

/** Per-key exponential backoff: base × 2^failures, capped at `maxMs`. Never gives up. */
export class ItemExponentialBackoff implements RateLimiter {
  readonly #failures = new Map<string, number>();

  constructor(
    private readonly baseMs = 5,
    private readonly maxMs = 5 * 60_000,
  ) {
    if (!(baseMs > 0) || !(maxMs >= baseMs)) {
      throw new Error(
        `ItemExponentialBackoff needs 0 < baseMs <= maxMs (got baseMs=${baseMs}, maxMs=${maxMs})`,
      );
    }
  }

  when(key: string): number {
    const failures = this.#failures.get(key) ?? 0;
    this.#failures.set(key, failures + 1);
    // 2^failures overflows to Infinity long after the cap; Math.min keeps the result finite.
    return Math.min(this.baseMs * 2 ** failures, this.maxMs);
  }

  forget(key: string): void {
    this.#failures.delete(key);
  }

  retries(key: string): number {
    return this.#failures.get(key) ?? 0;
  }
}

/** The larger of a per-key backoff and the overall bucket, as controller-runtime does by default. */
export class ControllerRateLimiter implements RateLimiter {
  constructor(
    private readonly perKey: RateLimiter,
    private readonly overall: TokenBucket,
  ) {}

  when(key: string): number {
    return Math.max(this.perKey.when(key), this.overall.reserve());
  }

  forget(key: string): void {
    this.perKey.forget(key);
  }

  retries(key: string): number {
    return this.perKey.retries(key);
  }
}

export interface RateLimiterOptions {
  /** First retry delay (ms). Default 5 ms, as controller-runtime. */
  baseDelayMs?: number;
  /** Cap of the per-key delay (ms). Default 5 minutes. */
  maxDelayMs?: number;
  /** Overall retries per second across all keys. Default 10. */
  ratePerSecond?: number;
  /** Overall burst. Default 100. */
  burst?: number;
}

/** The default limiter of every controller: per-key exponential backoff capped at 5 min + 10 qps/100 burst. */
export function defaultRateLimiter(clock: Clock, options: RateLimiterOptions = {}): ControllerRateLimiter {
  return new ControllerRateLimiter(
    new ItemExponentialBackoff(options.baseDelayMs ?? 5, options.maxDelayMs ?? 5 * 60_000),
    new TokenBucket(options.ratePerSecond ?? 10, options.burst ?? 100, clock),
  );
}
