/**
 * The Kubernetes client's own request rate, as client-go's `rest.Config{QPS, Burst}` (a token bucket in
 * front of every request): however many callers work at once, a client sends at most `burst` requests at
 * once and `qps` per second after that. The operator sets it from OPERATOR_KUBE_QPS / OPERATOR_KUBE_BURST
 * (ADR 0262 says why the defaults are what they are); billing sets none. Watches are not throttled (one
 * long request each). Moved here from operator/runtime/throttle.ts (issue 18: one client layer).
 */
import type { Clock } from "../clock.js";
import { TokenBucket } from "../token-bucket.js";

export interface ClientRateLimit {
  /** Sustained requests per second. */
  qps: number;
  /** Requests allowed at once before the rate applies. */
  burst: number;
}

export class RequestThrottle {
  readonly #bucket: TokenBucket;
  /** Requests that had to wait (coditect_kube_client_throttled_total). */
  throttled = 0;

  constructor(
    readonly limit: ClientRateLimit,
    clock: Clock,
  ) {
    this.#bucket = new TokenBucket(limit.qps, limit.burst, clock);
  }

  /** Resolves when the caller may send its request (at once while the burst lasts). */
  acquire(): Promise<void> {
    const delay = this.#bucket.reserve();
    if (delay <= 0) return Promise.resolve();
    this.throttled += 1;
    return new Promise((resolve) => setTimeout(resolve, delay));
  }
}
