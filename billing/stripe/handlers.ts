/**
 * Webhook event handlers. Each one refetches what it needs from Stripe (never trusting the payload or the
 * delivery order), applies it inside the caller's transaction and names the licenses it touched so the
 * caller can mirror them to the cluster after commit.
 */
import type Stripe from "stripe";
import type { Catalog } from "../catalog.js";
import type { Queryable } from "../db/queryable.js";
import type { BillingDeps } from "../deps.js";
import type { LicenseRow } from "../licenses/row.js";
import { getLicense, getLicenseBySubscription, updateLicense } from "../licenses/store.js";
import { notifyLicense, paymentFailed } from "../notifications/license-events.js";
import { handleDispute } from "./disputes.js";
import { fulfillCheckoutInTx, retrieveLatestInvoice } from "./fulfill.js";
import {
  handleCheckoutExpired,
  handlePaymentActionRequired,
  handleTrialWillEnd,
  paymentSuspended,
} from "./lifecycle-events.js";
import { lockStripeObjects } from "./locks.js";
import { idOf, subscriptionOfInvoice } from "./refs.js";
import { factsFromSubscription } from "./subscription-facts.js";
import { reconcileWorkstations } from "./workstations.js";

export interface HandlerResult {
  /**
   * processed | ignored | before_fulfilment | no_license | incomplete | unknown_product | partial_refund |
   * organization_taken
   */
  outcome: string;
  licenseIds: string[];
  message?: string;
}

export interface HandlerContext {
  deps: Pick<BillingDeps, "stripe" | "clock" | "config">;
  catalog: Catalog;
}

/** Re-reads the subscription (and its latest invoice) and applies them to its license. */
export async function syncSubscription(
  ctx: HandlerContext,
  tx: Queryable,
  subscriptionId: string,
  actor: string,
  action: string,
): Promise<HandlerResult> {
  return (await syncSubscriptionRead(ctx, tx, subscriptionId, actor, action)).result;
}

/**
 * syncSubscription that also answers the subscription it read under the lock, for a handler that acts on
 * more of it (trial_will_end) without a second call to Stripe. No license yet: nothing was read.
 */
export async function syncSubscriptionRead(
  ctx: HandlerContext,
  tx: Queryable,
  subscriptionId: string,
  actor: string,
  action: string,
): Promise<{ result: HandlerResult; subscription?: Stripe.Subscription }> {
  await lockStripeObjects(tx, [subscriptionId]);
  const license = await getLicenseBySubscription(tx, subscriptionId, { forUpdate: true });
  // Fulfilment (checkout.session.completed or the success redirect) creates the license from the
  // subscription's state at that time, so nothing is lost by acknowledging this event now. Every purchase
  // sends subscription.created and invoice.paid before (or racing) checkout.session.completed, so this is
  // the normal order, not the anomaly `no_license` names (ADR 0133).
  if (!license) return { result: { outcome: "before_fulfilment", licenseIds: [] } };
  // One call for both, under the lock (ADR 0290): the invoice comes expanded inside the subscription, a
  // snapshot of the same moment; retrieveLatestInvoice fetches it only if Stripe left it an id.
  const subscription = await ctx.deps.stripe.subscriptions.retrieve(subscriptionId, {
    expand: ["latest_invoice"],
  });
  const invoice = await retrieveLatestInvoice(ctx.deps.stripe, subscription);
  const now = ctx.deps.clock.now();
  const facts = factsFromSubscription(subscription, invoice, ctx.catalog, license, now);
  // A plan change (Starter/Pro/Enterprise) moves tier, seats and maxContainers together; the License
  // resource carries the new maxContainers and the operator ends the newest sessions beyond it.
  const planChanged = facts.tier !== undefined && facts.tier !== license.tier;
  await updateLicense(tx, license, facts, {
    actor,
    action: planChanged ? "license.plan_changed" : action,
    now,
    paymentGraceMs: ctx.deps.config.paymentGraceMs,
    ...(planChanged ? { details: { from: license.tier, to: facts.tier, event: action } } : {}),
  });
  // Workstation items follow their quantity (ADR 0241); a canceled subscription keeps its rows (the
  // license's end stops and later deletes them).
  if (subscription.status !== "canceled") {
    await reconcileWorkstations(tx, license, subscription, ctx.catalog, { actor, now });
  }
  return { result: { outcome: "processed", licenseIds: [license.id] }, subscription };
}

async function handleInvoice(ctx: HandlerContext, tx: Queryable, event: Stripe.Event, action: string) {
  const invoiceId = (event.data.object as { id: string }).id;
  const invoice = await ctx.deps.stripe.invoices.retrieve(invoiceId);
  const subscriptionId = subscriptionOfInvoice(invoice);
  if (!subscriptionId) return { outcome: "ignored", licenseIds: [], message: "invoice has no subscription" };
  return syncSubscription(ctx, tx, subscriptionId, `stripe:${event.id}`, action);
}

async function handleChargeRefunded(
  ctx: HandlerContext,
  tx: Queryable,
  event: Stripe.Event,
): Promise<HandlerResult> {
  const charge = await ctx.deps.stripe.charges.retrieve((event.data.object as { id: string }).id);
  if (!charge.refunded) {
    return { outcome: "partial_refund", licenseIds: [], message: "partial refund: the license is unchanged" };
  }
  const customerId = idOf(charge.customer);
  if (!customerId) return { outcome: "no_license", licenseIds: [] };
  await lockStripeObjects(tx, [customerId]);
  const licenses = await tx.query<LicenseRow>(
    "SELECT * FROM licenses WHERE stripe_customer_id = $1 AND provisioning_type = 'paid' ORDER BY id FOR UPDATE",
    [customerId],
  );
  const now = ctx.deps.clock.now();
  for (const license of licenses.rows) {
    await updateLicense(
      tx,
      license,
      { refunded_at: license.refunded_at ?? now },
      {
        actor: `stripe:${event.id}`,
        action: "license.refunded",
        now,
        paymentGraceMs: ctx.deps.config.paymentGraceMs,
        details: { chargeId: charge.id },
      },
    );
  }
  return {
    outcome: licenses.rows.length ? "processed" : "no_license",
    licenseIds: licenses.rows.map((l) => l.id),
  };
}

type EventHandler = (ctx: HandlerContext, tx: Queryable, event: Stripe.Event) => Promise<HandlerResult>;

const syncSubscriptionEvent: EventHandler = (ctx, tx, event) =>
  syncSubscription(
    ctx,
    tx,
    (event.data.object as { id: string }).id,
    `stripe:${event.id}`,
    `license.subscription_${event.type.split(".").pop()}`,
  );

/**
 * The event types billing acts on. Any other type is acknowledged without effect (outcome `ignored`); the
 * webhook records those with one statement and no transaction (process-event.ts), so this table is the
 * single list of what has an effect: a type handled anywhere else would be ignored.
 */
const HANDLERS: Readonly<Record<string, EventHandler>> = {
  "checkout.session.completed": async (ctx, tx, event) => {
    const sessionId = (event.data.object as { id: string }).id;
    const result = await fulfillCheckoutInTx(ctx.deps, ctx.catalog, tx, sessionId, `stripe:${event.id}`);
    if ("licenseId" in result) return { outcome: "processed", licenseIds: [result.licenseId] };
    return { outcome: result.outcome, licenseIds: [], message: result.message };
  },
  "customer.subscription.created": syncSubscriptionEvent,
  "customer.subscription.updated": syncSubscriptionEvent,
  "customer.subscription.deleted": syncSubscriptionEvent,
  "invoice.paid": (ctx, tx, event) => handleInvoice(ctx, tx, event, "license.invoice_paid"),
  "invoice.payment_failed": async (ctx, tx, event) => {
    const result = await handleInvoice(ctx, tx, event, "license.payment_failed");
    // Mailed once per license and invoice, with the date access ends (the payment grace), in this
    // transaction: the message exists only if the event's effect commits (ADR 0210).
    // A failure that ends access (the third attempt, ADR 0243) says so instead of naming a date.
    for (const id of result.licenseIds) {
      const license = await getLicense(tx, id);
      const invoiceId = (event.data.object as { id: string }).id;
      if (!license) continue;
      const message =
        license.state === "pastDue"
          ? paymentFailed(license, invoiceId)
          : license.state === "suspended"
            ? paymentSuspended(license, invoiceId, ctx.deps.config.publicBaseUrl)
            : null;
      await notifyLicense(tx, license, message, ctx.deps.clock.now());
    }
    return result;
  },
  "charge.refunded": handleChargeRefunded,
  "charge.dispute.created": handleDispute,
  "charge.dispute.updated": handleDispute,
  "charge.dispute.closed": handleDispute,
  "checkout.session.expired": handleCheckoutExpired,
  "customer.subscription.trial_will_end": handleTrialWillEnd,
  "invoice.payment_action_required": handlePaymentActionRequired,
};

/** Whether billing acts on events of this type (else they are acknowledged as `ignored`). */
export function isHandledEventType(type: string): boolean {
  return Object.hasOwn(HANDLERS, type);
}

/** Dispatches one verified event. Unknown types are acknowledged without effect. */
export async function handleEvent(
  ctx: HandlerContext,
  tx: Queryable,
  event: Stripe.Event,
): Promise<HandlerResult> {
  const handler = isHandledEventType(event.type) ? HANDLERS[event.type] : undefined;
  return handler ? handler(ctx, tx, event) : { outcome: "ignored", licenseIds: [] };
}
