/**
 * The per-IP charges of concurrent requests sent to the shared rate-limit store together (ADR 0290): a
 * charge that arrives while an UPSERT is in flight waits for it and goes, with every other charge that
 * arrived meanwhile, in the next one — so a burst of webhook deliveries costs one round trip per batch
 * instead of one per request, and a lone request is sent at once (no added delay). Each charge is counted
 * exactly once and gets its own decision, as takeShared would give it. One statement cannot count one
 * window row twice, so a second charge for a key already in the batch waits for the next batch.
 */
import type { RateLimitCharge, RateLimitDecision } from "../sessions/rate-limit.js";
import type { SharedWindowStore } from "../sessions/rate-limit-postgres.js";

interface Waiting {
  charge: RateLimitCharge;
  resolve: (decision: RateLimitDecision) => void;
  reject: (error: unknown) => void;
}

export class SharedChargeBatcher {
  private waiting: Waiting[] = [];
  private inFlight = false;

  constructor(private readonly store: SharedWindowStore) {}

  take(charge: RateLimitCharge): Promise<RateLimitDecision> {
    return new Promise((resolve, reject) => {
      this.waiting.push({ charge, resolve, reject });
      this.send();
    });
  }

  private send(): void {
    if (this.inFlight || this.waiting.length === 0) return;
    const batch: Waiting[] = [];
    const later: Waiting[] = [];
    const keys = new Set<string>();
    for (const w of this.waiting) {
      const key = `${w.charge.limit.name}\u0000${w.charge.key}`;
      if (keys.has(key)) later.push(w);
      else {
        keys.add(key);
        batch.push(w);
      }
    }
    this.waiting = later;
    this.inFlight = true;
    this.store
      .take(
        batch.map((w) => ({ limiter: w.charge.limit.name, key: w.charge.key, rule: w.charge.limit.rule })),
      )
      .then(
        (decisions) => {
          for (const [i, w] of batch.entries()) w.resolve(decisions[i]!);
        },
        (error: unknown) => {
          for (const w of batch) w.reject(error);
        },
      )
      .finally(() => {
        this.inFlight = false;
        this.send();
      });
  }
}
