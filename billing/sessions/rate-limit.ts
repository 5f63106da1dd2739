/**
 * Per-key rate limits of the sessions API (seed-notes §2.10): validate 30/min per license key, heartbeat
 * 20/min per session token, release 10/min per session token. A fixed one-minute window per key, in
 * process memory: the limit is per billing replica (N replicas allow N× the rate), which is acceptable for
 * abuse protection — seat counting, which must be exact, is never done in memory.
 * An exceeded limit answers 429 `rate_limited` with Retry-After, distinct from `seat_limit_reached`.
 */
import { Gauge, type Registry } from "prom-client";
import type { Clock } from "../../lib/clock.js";

export interface RateLimitRule {
  limit: number;
  windowMs: number;
}

/**
 * At most this many keys per limiter (issue 13 §4): at ~200 bytes a window that is ~20 MB, whatever a
 * flood of distinct keys does. Keys are hashes or validated values, never raw request bodies.
 */
export const MAX_RATE_LIMIT_KEYS = 100_000;

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
    private readonly maxKeys = MAX_RATE_LIMIT_KEYS,
  ) {}

  /** How many keys are held (memory is bounded by maxKeys). */
  get size(): number {
    return this.#windows.size;
  }

  /** Counts one request for `key` and says whether it is within the limit. */
  take(key: string): RateLimitDecision {
    const now = this.clock.now().getTime();
    this.#sweep(now);
    let window = this.#windows.get(key);
    if (!window || now - window.start >= this.rule.windowMs) {
      window = { start: now, count: 0 };
      this.#windows.delete(key);
      if (this.#windows.size >= this.maxKeys) this.#makeRoom(now);
      this.#windows.set(key, window);
    }
    window.count += 1;
    if (window.count <= this.rule.limit) return { allowed: true };
    return {
      allowed: false,
      retryAfterSeconds: Math.max(1, Math.ceil((window.start + this.rule.windowMs - now) / 1000)),
    };
  }

  /**
   * Full: forget the oldest window. A window is re-inserted when it starts, so the Map's insertion order
   * is start order and the front holds the finished ones — amortized O(1), no scan per request. When all
   * windows are current, the oldest goes anyway: a flood of new keys can then reset some other key's count
   * early, but it cannot exhaust memory, and refusing new keys instead would lock legitimate callers out.
   */
  #makeRoom(now: number): void {
    for (const [key, window] of this.#windows) {
      if (this.#windows.size < this.maxKeys && now - window.start < this.rule.windowMs) return;
      this.#windows.delete(key);
    }
  }

  /** Forget finished windows once per window length, so memory stays bounded by the active keys. */
  #sweep(now: number): void {
    if (now - this.#lastSweep < this.rule.windowMs) return;
    this.#lastSweep = now;
    for (const [key, window] of this.#windows)
      if (now - window.start >= this.rule.windowMs) this.#windows.delete(key);
  }
}

const gauges = new WeakMap<Registry, Map<string, FixedWindowLimiter>>();

/**
 * Reports the limiter's key count as `billing_rate_limit_keys{limiter=…}` on /metrics, so the bound on its
 * memory can be watched (and tested over HTTP). A later limiter of the same name replaces the earlier one.
 */
export function reportLimiterKeys(registry: Registry, name: string, limiter: FixedWindowLimiter): void {
  let limiters = gauges.get(registry);
  if (!limiters) {
    const held = new Map<string, FixedWindowLimiter>();
    limiters = held;
    gauges.set(registry, held);
    new Gauge({
      name: "billing_rate_limit_keys",
      help: "Keys (license keys, session tokens, client IPs) a rate limiter currently holds a window for",
      labelNames: ["limiter"],
      registers: [registry],
      collect() {
        for (const [label, l] of held) this.set({ limiter: label }, l.size);
      },
    });
  }
  limiters.set(name, limiter);
}
