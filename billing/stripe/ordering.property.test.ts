/**
 * Property: whatever order Stripe delivers a subscription's events in, and however often it repeats them,
 * the license ends in the same state as with in-order, once-only delivery.
 */
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type BillingHarness, eventsById, startBillingHarness } from "../testing/harness.js";

type Step =
  | { kind: "failPayment" }
  | { kind: "payInvoice" }
  | { kind: "quantity"; quantity: number }
  | { kind: "cancelAtPeriodEnd"; value: boolean }
  | { kind: "markUnpaid" }
  | { kind: "cancel"; reason: "cancellation_requested" | "payment_failed" }
  | { kind: "refund"; full: boolean };

const step: fc.Arbitrary<Step> = fc.oneof(
  { arbitrary: fc.constant({ kind: "failPayment" } as const), weight: 4 },
  { arbitrary: fc.constant({ kind: "payInvoice" } as const), weight: 4 },
  {
    arbitrary: fc.integer({ min: 1, max: 9 }).map((quantity) => ({ kind: "quantity", quantity }) as const),
    weight: 2,
  },
  { arbitrary: fc.boolean().map((value) => ({ kind: "cancelAtPeriodEnd", value }) as const), weight: 1 },
  { arbitrary: fc.constant({ kind: "markUnpaid" } as const), weight: 1 },
  {
    arbitrary: fc
      .constantFrom("cancellation_requested", "payment_failed")
      .map((reason) => ({ kind: "cancel", reason }) as const),
    weight: 1,
  },
  { arbitrary: fc.boolean().map((full) => ({ kind: "refund", full }) as const), weight: 1 },
);

describe("webhook delivery order and duplicates", () => {
  let h: BillingHarness;
  let run = 0;
  beforeAll(async () => {
    h = await startBillingHarness();
  });
  afterAll(() => h.stop());

  /** Replays Stripe-side history in the fake; returns every event id it emitted, in order. */
  async function makeHistory(steps: Step[]): Promise<{ subscriptionId: string; eventIds: string[] }> {
    run += 1;
    const purchase = await h.buy([{ product: "pro", quantity: 2 }], `prop-${run}`);
    const eventIds = purchase.events.map((e) => e.id);
    const store = h.fake.store;
    const sub = () => store.subscriptions.get(purchase.subscriptionId)!;
    const mark = () => store.events.length;
    for (const s of steps) {
      h.clock.advance(24 * 60 * 60 * 1000);
      if (sub().status === "canceled") break;
      const from = mark();
      switch (s.kind) {
        case "failPayment":
          store.failPayment(purchase.subscriptionId);
          break;
        case "payInvoice":
          store.payInvoice(purchase.subscriptionId);
          break;
        case "quantity": {
          const item = (sub().items as { data: { id: string; price: { id: string } }[] }).data[0]!;
          store.updateSubscription(purchase.subscriptionId, {
            items: [{ id: item.id, quantity: String(s.quantity) }],
          });
          break;
        }
        case "cancelAtPeriodEnd":
          store.updateSubscription(purchase.subscriptionId, { cancel_at_period_end: String(s.value) });
          break;
        case "markUnpaid":
          store.markUnpaid(purchase.subscriptionId);
          break;
        case "cancel":
          store.cancelSubscription(purchase.subscriptionId, s.reason);
          break;
        case "refund": {
          const charge = store.chargesOf(purchase.subscriptionId).at(-1);
          if (charge) store.refundCharge(charge.id, s.full ? undefined : 1);
          break;
        }
      }
      eventIds.push(...store.events.slice(from).map((e) => e.id));
    }
    return { subscriptionId: purchase.subscriptionId, eventIds };
  }

  async function deliver(ids: string[]): Promise<void> {
    for (const event of eventsById(h.fake, ids)) {
      const res = await h.sendEvent(event);
      if (res.status !== 200)
        throw new Error(`delivery of ${String(event.id)} failed: ${res.status} ${await res.text()}`);
    }
  }

  async function snapshot(subscriptionId: string) {
    const r = await h.pool.query(
      `SELECT state, state_reason, tier, seats, max_containers, expires_at, grace_ends_at, subscription_status,
              cancel_at_period_end, period_end, dunning_since, failed_payment_attempts, refunded_at, expiring_soon
         FROM licenses WHERE stripe_subscription_id = $1`,
      [subscriptionId],
    );
    return r.rows[0];
  }

  async function forget(subscriptionId: string, eventIds: string[]): Promise<void> {
    await h.pool.query("DELETE FROM licenses WHERE stripe_subscription_id = $1", [subscriptionId]);
    await h.pool.query("DELETE FROM stripe_events WHERE id = ANY($1)", [eventIds]);
  }

  it("ends in the same license state as in-order delivery", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(step, { minLength: 1, maxLength: 8 }),
        fc.infiniteStream(fc.integer({ min: 0, max: 2 })),
        fc.infiniteStream(fc.nat()),
        fc.context(),
        async (steps, repeats, sortKeys, ctx) => {
          const { subscriptionId, eventIds } = await makeHistory(steps);
          await deliver(eventIds);
          const inOrder = await snapshot(subscriptionId);
          expect(inOrder).toBeDefined();

          await forget(subscriptionId, eventIds);
          const duplicated = eventIds.flatMap((id) =>
            Array.from({ length: 1 + repeats.next().value }, () => id),
          );
          // Shuffle with keys drawn by fast-check, so a failing order is reproducible from the seed.
          const shuffled = duplicated
            .map((id) => ({ id, key: sortKeys.next().value }))
            .sort((a, b) => a.key - b.key)
            .map((e) => e.id);
          ctx.log(`history ${JSON.stringify(steps)} delivered as ${shuffled.length} events`);
          await deliver(shuffled);
          expect(await snapshot(subscriptionId)).toEqual(inOrder);
        },
      ),
      { numRuns: 20, seed: Number(process.env.FC_SEED ?? Date.now() % 2_147_483_647) },
    );
  }, 180_000);
});
