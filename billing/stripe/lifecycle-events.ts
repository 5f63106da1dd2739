/**
 * The subscription lifecycle events that only clean up or tell the customer something (issue 16 §2):
 * checkout.session.expired, customer.subscription.trial_will_end and invoice.payment_action_required.
 * Each refetches its object and acts on Stripe's current state, never on the payload.
 */
import type Stripe from "stripe";
import type { Queryable } from "../db/queryable.js";
import type { LicenseRow } from "../licenses/row.js";
import { getLicense } from "../licenses/store.js";
import { notifyLicense } from "../notifications/license-events.js";
import {
  type HandlerContext,
  type HandlerResult,
  syncSubscription,
  syncSubscriptionRead,
} from "./handlers.js";
import { subscriptionOfInvoice } from "./refs.js";

const objectId = (event: Stripe.Event) => (event.data.object as { id: string }).id;

/**
 * An abandoned checkout: the pending reveal nonce of that session goes (its cookie can never reveal a key,
 * as nothing will be fulfilled). Nothing else was created before payment, so nothing else changes.
 */
export async function handleCheckoutExpired(
  ctx: HandlerContext,
  tx: Queryable,
  event: Stripe.Event,
): Promise<HandlerResult> {
  const session = await ctx.deps.stripe.checkout.sessions.retrieve(objectId(event));
  if (session.status !== "expired") {
    return {
      outcome: "ignored",
      licenseIds: [],
      message: `checkout session ${session.id} is ${session.status}`,
    };
  }
  const deleted = await tx.query("DELETE FROM checkout_reveal_nonces WHERE checkout_session_id = $1", [
    session.id,
  ]);
  return {
    outcome: "processed",
    licenseIds: [],
    message: deleted.rowCount ? "reveal nonce removed" : "no pending reveal nonce",
  };
}

/** Three days before a trial ends (Stripe's timing): the license is synced and its customer told when. */
export async function handleTrialWillEnd(
  ctx: HandlerContext,
  tx: Queryable,
  event: Stripe.Event,
): Promise<HandlerResult> {
  const { result, subscription: read } = await syncSubscriptionRead(
    ctx,
    tx,
    objectId(event),
    `stripe:${event.id}`,
    "license.trial_will_end",
  );
  // The sync read the subscription under the lock; only before fulfilment (no license) did it read nothing.
  const subscription = read ?? (await ctx.deps.stripe.subscriptions.retrieve(objectId(event)));
  if (subscription.status !== "trialing" || !subscription.trial_end) {
    return { ...result, message: `subscription ${subscription.id} is ${subscription.status}; no reminder` };
  }
  const trialEndsAt = new Date(subscription.trial_end * 1000).toISOString();
  for (const id of result.licenseIds) {
    const license = (await getLicense(tx, id))!;
    await notifyLicense(
      tx,
      license,
      {
        kind: "trial_ending",
        data: {
          licenseId: license.id,
          organization: license.organization,
          trialEndsAt,
          accountUrl: `${ctx.deps.config.publicBaseUrl}/account/`,
        },
        dedupeKey: `trial_ending:${license.id}:${trialEndsAt}`,
      },
      ctx.deps.clock.now(),
    );
  }
  return result;
}

/**
 * The bank wants the cardholder to confirm a payment (3-D Secure / SCA): the customer gets the hosted
 * invoice page, where they confirm it. The license follows the subscription as with any invoice event.
 */
export async function handlePaymentActionRequired(
  ctx: HandlerContext,
  tx: Queryable,
  event: Stripe.Event,
): Promise<HandlerResult> {
  const invoice = await ctx.deps.stripe.invoices.retrieve(objectId(event));
  const subscriptionId = subscriptionOfInvoice(invoice);
  if (!subscriptionId) return { outcome: "ignored", licenseIds: [], message: "invoice has no subscription" };
  const result = await syncSubscription(
    ctx,
    tx,
    subscriptionId,
    `stripe:${event.id}`,
    "license.payment_action_required",
  );
  if (invoice.status !== "open" || !invoice.hosted_invoice_url) {
    return { ...result, message: `invoice ${invoice.id} is ${invoice.status}; nothing to confirm` };
  }
  for (const id of result.licenseIds) {
    const license = (await getLicense(tx, id))!;
    await notifyLicense(
      tx,
      license,
      {
        kind: "payment_action_required",
        data: {
          licenseId: license.id,
          organization: license.organization,
          invoiceUrl: invoice.hosted_invoice_url,
        },
        dedupeKey: `payment_action_required:${license.id}:${invoice.id}`,
      },
      ctx.deps.clock.now(),
    );
  }
  return result;
}

/** The failed payment that suspended the license (ADR 0243): once per license and invoice. */
export function paymentSuspended(license: LicenseRow, invoiceId: string, publicBaseUrl: string) {
  return {
    kind: "payment_suspended" as const,
    data: {
      licenseId: license.id,
      organization: license.organization,
      attempts: license.failed_payment_attempts,
      accountUrl: `${publicBaseUrl}/account/`,
    },
    dedupeKey: `payment_suspended:${license.id}:${invoiceId}`,
  };
}
