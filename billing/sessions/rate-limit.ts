/**
 * Per-key rate limits of the sessions API (seed-notes §2.10): validate 30/min per license key, heartbeat
 * 20/min per session token, release 10/min per session token. A fixed one-minute window per key, in
 * process memory: the limit is per billing replica (N replicas allow N× the rate), which is acceptable for
 * abuse protection — seat counting, which must be exact, is never done in memory.
 * An exceeded limit answers 429 `rate_limited` with Retry-After, distinct from `seat_limit_reached`.
 */
import type { Clock } from "../../lib/clock.js";

export interface RateLimitRule {
  limit: number;
  windowMs: number;
}

export const SESSION_RATE_LIMITS = {
  validate: { limit: 30, windowMs: 60_000 },
  heartbeat: { limit: 20, windowMs: 60_000 },
  release: { limit: 10, windowMs: 60_000 },
} as const satisfies Record<string, RateLimitRule>;

export type RateLimitDecision = { allowed: true } | { allowed: false; retryAfterSeconds: number };

export class FixedWindowLimiter {
  readonly #windows = new Map<string, { start: number; count: number }>();
  #lastSweep = 0;

  constructor(
    private readonly rule: RateLimitRule,
    private readonly clock: Clock,
  ) {}

  /** Counts one request for `key` and says whether it is within the limit. */
  take(key: string): RateLimitDecision {
    const now = this.clock.now().getTime();
    this.#sweep(now);
    let window = this.#windows.get(key);
    if (!window || now - window.start >= this.rule.windowMs) {
      window = { start: now, count: 0 };
      this.#windows.set(key, window);
    }
    window.count += 1;
    if (window.count <= this.rule.limit) return { allowed: true };
    return {
      allowed: false,
      retryAfterSeconds: Math.max(1, Math.ceil((window.start + this.rule.windowMs - now) / 1000)),
    };
  }

  /** Forget finished windows once per window length, so memory stays bounded by the active keys. */
  #sweep(now: number): void {
    if (now - this.#lastSweep < this.rule.windowMs) return;
    this.#lastSweep = now;
    for (const [key, window] of this.#windows)
      if (now - window.start >= this.rule.windowMs) this.#windows.delete(key);
  }
}
