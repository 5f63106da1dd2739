/**
 * The per-IP charges of concurrent requests sent to the shared rate-limit store together (ADR 0290): a
 * charge that arrives while an UPSERT is in flight waits for it and goes, with every other charge that
 * arrived meanwhile, in the next one (group commit, lib/group-commit.ts) — so a burst of webhook deliveries
 * costs one round trip per batch instead of one per request, and a lone request is sent at once (no added
 * delay). Each charge is counted exactly once and gets its own decision, as takeShared would give it. One
 * statement cannot count one window row twice, so a second charge for a key already in the batch waits for
 * the next batch.
 */
import { GroupCommit } from "../../lib/group-commit.js";
import type { RateLimitCharge, RateLimitDecision } from "../sessions/rate-limit.js";
import type { SharedWindowStore } from "../sessions/rate-limit-postgres.js";

export class SharedChargeBatcher {
  private readonly batches: GroupCommit<RateLimitCharge, RateLimitDecision>;

  constructor(store: SharedWindowStore) {
    this.batches = new GroupCommit({
      keyOf: (charge) => `${charge.limit.name}\u0000${charge.key}`,
      write: (charges) =>
        store.take(charges.map((c) => ({ limiter: c.limit.name, key: c.key, rule: c.limit.rule }))),
    });
  }

  take(charge: RateLimitCharge): Promise<RateLimitDecision> {
    return this.batches.submit(charge);
  }
}
