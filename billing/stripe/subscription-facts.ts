/**
 * Pure mapping from a Stripe subscription (always freshly retrieved, never taken from an event payload)
 * to the license facts it determines. Because the input is Stripe's current state, applying it is
 * idempotent and independent of the order in which events arrive (ADR 0030).
 */
import type Stripe from "stripe";
import type { Catalog } from "../catalog.js";
import type { LicenseRow } from "../licenses/row.js";
import type { LicenseFacts } from "../licenses/store.js";

export interface SubscriptionLine {
  itemId: string;
  priceId: string;
  quantity: number;
}

export function subscriptionLines(subscription: Stripe.Subscription): SubscriptionLine[] {
  return subscription.items.data.map((item) => ({
    itemId: item.id,
    priceId: item.price.id,
    quantity: item.quantity ?? 1,
  }));
}

const unix = (seconds: number) => new Date(seconds * 1000);

/** The end of the paid period: the latest item period end, or when a canceled subscription ended. */
export function subscriptionPeriodEnd(subscription: Stripe.Subscription): Date | null {
  if (subscription.status === "canceled") {
    const ended = subscription.ended_at ?? subscription.canceled_at;
    if (ended) return unix(ended);
  }
  const ends = subscription.items.data.map((i) => i.current_period_end).filter((n) => typeof n === "number");
  return ends.length ? unix(Math.max(...ends)) : null;
}

/**
 * The license facts a subscription determines, given the row as it is now (dunning start is kept while
 * the subscription stays unpaid, so the grace period does not restart on every event). Dunning is derived
 * from the subscription and its latest invoice only, so every event type yields the same facts.
 */
export function factsFromSubscription(
  subscription: Stripe.Subscription,
  latestInvoice: Pick<Stripe.Invoice, "status" | "attempt_count"> | null,
  catalog: Catalog,
  current: Pick<LicenseRow, "dunning_since" | "failed_payment_attempts" | "tier" | "purchased_seats">,
  now: Date,
): Partial<LicenseFacts> {
  const lines = subscriptionLines(subscription);
  const licenseLine = lines.find((l) => catalog.byPriceId(l.priceId)?.kind === "license");
  const licenseProduct = licenseLine ? catalog.byPriceId(licenseLine.priceId) : undefined;
  const status = subscription.status;
  const nonPaymentCancel =
    status === "canceled" && subscription.cancellation_details?.reason === "payment_failed";
  // Some Stripe retry settings keep the subscription active while the invoice is retried: an open invoice
  // that already failed is dunning too.
  const failedOpenInvoice = latestInvoice?.status === "open" && latestInvoice.attempt_count > 0;
  const inDunning = status === "past_due" || status === "unpaid" || nonPaymentCancel || failedOpenInvoice;
  return {
    stripe_customer_id:
      typeof subscription.customer === "string" ? subscription.customer : subscription.customer.id,
    subscription_status: status,
    cancel_at_period_end: subscription.cancel_at_period_end,
    period_end: subscriptionPeriodEnd(subscription),
    tier: licenseProduct?.kind === "license" ? licenseProduct.product : current.tier,
    purchased_seats: licenseLine ? Math.max(1, licenseLine.quantity) : current.purchased_seats,
    dunning_since: inDunning ? (current.dunning_since ?? now) : null,
    failed_payment_attempts: failedOpenInvoice
      ? latestInvoice.attempt_count
      : inDunning
        ? current.failed_payment_attempts
        : 0,
  };
}
