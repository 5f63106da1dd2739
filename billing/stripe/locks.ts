/**
 * Transaction-scoped advisory locks on Stripe object ids. Fulfilment and the event handlers take the same
 * lock before reading Stripe, so an event that arrives while a fulfilment is in flight waits for it to
 * commit and then finds the license, instead of seeing "no license yet" and losing its update.
 */
import type { Queryable } from "../db/queryable.js";

export async function lockStripeObjects(tx: Queryable, ids: (string | null | undefined)[]): Promise<void> {
  // Sorted, so two transactions locking the same pair never deadlock.
  for (const id of [...new Set(ids.filter((i): i is string => Boolean(i)))].sort()) {
    await tx.query("SELECT pg_advisory_xact_lock(hashtextextended($1, 0))", [`stripe:${id}`]);
  }
}
