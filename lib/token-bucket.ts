/**
 * A token bucket (Go's `rate.Limiter` shape), shared by the operator's work-queue retry pacing
 * (operator/runtime/rate-limit.ts) and the Kubernetes client's request rate (lib/kube/throttle.ts).
 */
import type { Clock } from "./clock.js";

/**
 * A token bucket: `ratePerSecond` tokens refill continuously up to `burst`.
 * `reserve()` always succeeds and returns how long the caller must wait for its token (like Go's
 * `rate.Limiter.Reserve().Delay()`), so callers are spread out instead of refused.
 */
export class TokenBucket {
  #tokens: number;
  #last: number;

  constructor(
    private readonly ratePerSecond: number,
    private readonly burst: number,
    private readonly clock: Clock,
  ) {
    if (!(ratePerSecond > 0) || !(burst >= 1)) {
      throw new Error(`TokenBucket needs ratePerSecond > 0 and burst >= 1 (got ${ratePerSecond}, ${burst})`);
    }
    this.#tokens = burst;
    this.#last = clock.now().getTime();
  }

  /** Takes one token and returns the delay in ms until it is actually available (0 if at once). */
  reserve(): number {
    const now = this.clock.now().getTime();
    const elapsed = Math.max(0, now - this.#last);
    this.#last = now;
    this.#tokens = Math.min(this.burst, this.#tokens + (elapsed * this.ratePerSecond) / 1000);
    this.#tokens -= 1;
    return this.#tokens >= 0 ? 0 : Math.ceil((-this.#tokens / this.ratePerSecond) * 1000);
  }
}
