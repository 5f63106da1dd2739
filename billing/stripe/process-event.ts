/**
 * Processes one verified Stripe event exactly once: the event id is inserted into the stripe_events
 * ledger in the same transaction as the event's effect. A second delivery finds the id and is a no-op; a
 * failed handler rolls back both, so Stripe's retry runs it again.
 *
 * An event of a type billing does not act on has no effect besides its ledger row, so it is recorded with
 * one autocommitted INSERT — the same row, the same ON CONFLICT duplicate check — instead of a transaction
 * of four statements (BEGIN, INSERT, UPDATE outcome, COMMIT), shared by the deliveries that arrive while
 * one is in flight (ledger-batch.ts): Stripe sends many such types to an endpoint subscribed to more than
 * billing handles, and each round trip was most of their cost (ADR 0290).
 */
import type Stripe from "stripe";
import type { Catalog } from "../catalog.js";
import { mirrorLicenses } from "../cluster/sync.js";
import { withTransaction } from "../db/tx.js";
import type { BillingDeps } from "../deps.js";
import { type HandlerResult, handleEvent, isHandledEventType } from "./handlers.js";
import { ignoredEventLedger } from "./ledger-batch.js";

const objectIdOf = (event: Stripe.Event): string | null => {
  const id = (event.data?.object as { id?: unknown } | undefined)?.id;
  return typeof id === "string" ? id : null;
};

export async function processStripeEvent(
  deps: BillingDeps,
  catalog: Catalog,
  event: Stripe.Event,
): Promise<HandlerResult & { duplicate: boolean }> {
  if (!isHandledEventType(event.type)) {
    const inserted = await ignoredEventLedger(deps.db).record({
      id: event.id,
      type: event.type,
      createdAt: new Date(event.created * 1000),
      processedAt: deps.clock.now(),
      objectId: objectIdOf(event),
    });
    return inserted
      ? { outcome: "ignored", licenseIds: [], duplicate: false }
      : { outcome: "duplicate", licenseIds: [], duplicate: true };
  }
  const result = await withTransaction(deps.db, async (tx) => {
    const inserted = await tx.query(
      `INSERT INTO stripe_events (id, type, created_at, processed_at, object_id, outcome)
       VALUES ($1, $2, $3, $4, $5, 'processing') ON CONFLICT (id) DO NOTHING RETURNING id`,
      [event.id, event.type, new Date(event.created * 1000), deps.clock.now(), objectIdOf(event)],
    );
    if (inserted.rowCount === 0) return { outcome: "duplicate", licenseIds: [], duplicate: true };
    const handled = await handleEvent({ deps, catalog }, tx, event);
    await tx.query("UPDATE stripe_events SET outcome = $2 WHERE id = $1", [event.id, handled.outcome]);
    return { ...handled, duplicate: false };
  });
  await mirrorLicenses(deps, result.licenseIds);
  return result;
}
