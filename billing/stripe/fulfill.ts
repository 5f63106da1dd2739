/**
 * fulfillCheckout: the ONE idempotent fulfilment of a completed Checkout Session, shared by the
 * checkout.session.completed webhook and the success redirect. It refetches the session, its line items
 * and its subscription from Stripe, then creates the license (unique per checkout session) and the rows of
 * the workstations bought — a second call finds them and changes nothing.
 */
import type Stripe from "stripe";
import { ensureOrganization, ensureUser } from "../accounts/directory.js";
import type { Catalog } from "../catalog.js";
import type { Queryable } from "../db/queryable.js";
import type { BillingDeps } from "../deps.js";
import { ORGANIZATION_PATTERN } from "../licenses/organization.js";
import type { LicenseRow } from "../licenses/row.js";
import { createLicense, updateLicense } from "../licenses/store.js";
import { notifyLicense, purchaseReceipt } from "../notifications/license-events.js";
import { lockStripeObjects } from "./locks.js";
import { factsFromSubscription, subscriptionLines } from "./subscription-facts.js";
import { reconcileWorkstations } from "./workstations.js";

export type FulfilmentResult =
  | { outcome: "fulfilled" | "already_fulfilled"; licenseId: string }
  | { outcome: "incomplete"; message: string }
  | { outcome: "unknown_product"; message: string }
  /** The organization was created by someone else between checkout creation and payment (ADR 0240). */
  | { outcome: "organization_taken"; message: string };

export { ORGANIZATION_PATTERN };

/** The subscription's latest invoice, refetched (dunning is derived from it). */
export async function retrieveLatestInvoice(
  stripe: Stripe,
  subscription: Stripe.Subscription,
): Promise<Stripe.Invoice | null> {
  const ref = subscription.latest_invoice;
  if (!ref) return null;
  return typeof ref === "string" ? stripe.invoices.retrieve(ref) : ref;
}

/** A completed, paid Checkout Session: what fulfilment needs from it before anything else is read. */
interface PaidSession {
  sessionId: string;
  session: Stripe.Checkout.Session;
  subscriptionId: string;
  customerId: string | undefined;
}

/** Everything fulfilment reads from Stripe, fetched before any database connection is taken. */
export interface CheckoutPurchase extends PaidSession {
  licenseItem: Stripe.LineItem;
  licenseProduct: Extract<ReturnType<Catalog["byPriceId"]>, { kind: "license" }>;
  organization: string;
  subscription: Stripe.Subscription;
  latestInvoice: Stripe.Invoice | null;
  fullyRefunded: boolean;
}

type NotFulfillable = Extract<FulfilmentResult, { outcome: "incomplete" | "unknown_product" }>;

async function readPaidSession(stripe: Stripe, sessionId: string): Promise<PaidSession | NotFulfillable> {
  const session = await stripe.checkout.sessions.retrieve(sessionId);
  if (session.status !== "complete" || !["paid", "no_payment_required"].includes(session.payment_status)) {
    return {
      outcome: "incomplete",
      message: `checkout session ${sessionId} is ${session.status ?? "unknown"} / ${session.payment_status}; nothing to fulfil yet`,
    };
  }
  const subscriptionId =
    typeof session.subscription === "string" ? session.subscription : session.subscription?.id;
  if (!subscriptionId) {
    return { outcome: "incomplete", message: `checkout session ${sessionId} has no subscription` };
  }
  const customerId = typeof session.customer === "string" ? session.customer : session.customer?.id;
  return { sessionId, session, subscriptionId, customerId };
}

async function readPurchase(
  stripe: Stripe,
  catalog: Catalog,
  paid: PaidSession,
): Promise<CheckoutPurchase | NotFulfillable> {
  const { sessionId, session } = paid;
  const lineItems = await stripe.checkout.sessions.listLineItems(sessionId, { limit: 100 });
  const unknown = lineItems.data.filter((li) => !li.price || !catalog.byPriceId(li.price.id));
  if (unknown.length > 0 || lineItems.data.length === 0) {
    const prices = unknown.map((li) => li.price?.id ?? "(no price)").join(", ");
    return {
      outcome: "unknown_product",
      message: `checkout session ${sessionId} contains prices not in the catalog: ${prices || "(no items)"}`,
    };
  }
  const licenseItem = lineItems.data.find((li) => catalog.byPriceId(li.price!.id)?.kind === "license");
  const licenseProduct = licenseItem && catalog.byPriceId(licenseItem.price!.id);
  if (!licenseItem || licenseProduct?.kind !== "license") {
    return {
      outcome: "unknown_product",
      message: `checkout session ${sessionId} contains no license product`,
    };
  }
  const organization = session.metadata?.organization ?? "";
  if (!ORGANIZATION_PATTERN.test(organization)) {
    return {
      outcome: "unknown_product",
      message: `checkout session ${sessionId} has no valid organization in its metadata (was it created by this service?)`,
    };
  }
  const subscription = await stripe.subscriptions.retrieve(paid.subscriptionId);
  const latestInvoice = await retrieveLatestInvoice(stripe, subscription);
  // A charge.refunded event that arrived before fulfilment found no license; read refunds here so the
  // outcome does not depend on delivery order.
  const customerId =
    typeof subscription.customer === "string" ? subscription.customer : subscription.customer.id;
  const charges = await stripe.charges.list({ customer: customerId, limit: 100 });
  const fullyRefunded = charges.data.some((c) => c.refunded);
  return {
    ...paid,
    licenseItem,
    licenseProduct,
    organization,
    subscription,
    latestInvoice,
    fullyRefunded,
  };
}

/**
 * Reads a Checkout Session and everything its fulfilment needs from Stripe, holding no database
 * connection (issue 13 §4: a slow or hung Stripe must not pin the pool). Record it with
 * recordPurchaseInTx in a short transaction afterwards.
 */
export async function readCheckoutPurchase(
  stripe: Stripe,
  catalog: Catalog,
  sessionId: string,
): Promise<CheckoutPurchase | NotFulfillable> {
  const paid = await readPaidSession(stripe, sessionId);
  if ("outcome" in paid) return paid;
  return readPurchase(stripe, catalog, paid);
}

async function lockAndFindLicense(tx: Queryable, paid: PaidSession): Promise<string | undefined> {
  await lockStripeObjects(tx, [paid.subscriptionId, paid.customerId]);
  const existing = await tx.query<{ id: string }>(
    "SELECT id FROM licenses WHERE stripe_checkout_session_id = $1",
    [paid.sessionId],
  );
  return existing.rows[0]?.id;
}

/**
 * Records a purchase read by readCheckoutPurchase: takes the Stripe objects' advisory locks, then creates
 * the license and its workstations unless this checkout session already has them (idempotent).
 */
export async function recordPurchaseInTx(
  deps: Pick<BillingDeps, "clock" | "config">,
  catalog: Catalog,
  tx: Queryable,
  purchase: CheckoutPurchase,
  actor: string,
): Promise<FulfilmentResult> {
  const existing = await lockAndFindLicense(tx, purchase);
  if (existing) return { outcome: "already_fulfilled", licenseId: existing };
  return createFromPurchase(deps, catalog, tx, purchase, actor);
}

/**
 * Fulfils inside the caller's transaction (the webhook): the lock is taken before the purchase is read,
 * so a fulfilment in flight makes a concurrent event wait. Stripe is read before anything is written.
 */
export async function fulfillCheckoutInTx(
  deps: Pick<BillingDeps, "stripe" | "clock" | "config">,
  catalog: Catalog,
  tx: Queryable,
  sessionId: string,
  actor: string,
): Promise<FulfilmentResult> {
  const paid = await readPaidSession(deps.stripe, sessionId);
  if ("outcome" in paid) return paid;
  const existing = await lockAndFindLicense(tx, paid);
  if (existing) return { outcome: "already_fulfilled", licenseId: existing };
  const purchase = await readPurchase(deps.stripe, catalog, paid);
  if ("outcome" in purchase) return purchase;
  return createFromPurchase(deps, catalog, tx, purchase, actor);
}

async function createFromPurchase(
  deps: Pick<BillingDeps, "clock" | "config">,
  catalog: Catalog,
  tx: Queryable,
  purchase: CheckoutPurchase,
  actor: string,
): Promise<FulfilmentResult> {
  const { sessionId, session, subscriptionId, licenseItem, licenseProduct, organization } = purchase;
  const { subscription, latestInvoice, fullyRefunded } = purchase;
  const email = session.customer_details?.email ?? session.customer_email ?? "";
  const now = deps.clock.now();
  if (!email) {
    return { outcome: "incomplete", message: `checkout session ${sessionId} has no customer email` };
  }
  // The buyer becomes a user and the owner of the organization, in this transaction (ADR 0240). A slug that
  // exists is refused at checkout creation; one that was created meanwhile by someone else is not theirs.
  const buyer = await ensureUser(tx, email, now);
  const owned = await ensureOrganization(tx, organization, buyer, now);
  if (owned.outcome === "taken") {
    return {
      outcome: "organization_taken",
      message: `organization "${organization}" was created by another customer after checkout session ${sessionId} started; nothing was fulfilled (refund the payment or move it to a new organization)`,
    };
  }
  const ctx = {
    actor,
    action: "license.created",
    now,
    paymentGraceMs: deps.config.paymentGraceMs,
    details: { checkoutSessionId: sessionId },
  };
  const baseline = {
    dunning_since: null,
    failed_payment_attempts: 0,
    tier: licenseProduct.product,
    purchased_seats: licenseItem.quantity ?? 1,
  };
  const workstationLines = subscriptionLines(subscription).filter(
    (l) => catalog.byPriceId(l.priceId)?.kind === "workstation",
  );
  const firstWorkstation = workstationLines[0] && catalog.byPriceId(workstationLines[0].priceId);
  const created = await createLicense(
    tx,
    {
      organization,
      tier: licenseProduct.product,
      key_hash: null,
      key_issued_at: null,
      provisioning_type: "paid",
      workstation_tier: firstWorkstation?.kind === "workstation" ? firstWorkstation.workstationTier : null,
      customer_email: email,
      notes: null,
      created_by: actor,
      stripe_customer_id: null,
      stripe_subscription_id: subscriptionId,
      stripe_checkout_session_id: sessionId,
      subscription_status: null,
      cancel_at_period_end: false,
      period_end: null,
      purchased_seats: baseline.purchased_seats,
      dunning_since: null,
      failed_payment_attempts: 0,
      refunded_at: fullyRefunded ? now : null,
      admin_revoked_at: null,
      admin_suspended_at: null,
      extended_until: null,
      seats_override: null,
      max_containers_override: null,
      ...factsFromSubscription(subscription, latestInvoice, catalog, baseline, now),
    },
    ctx,
    { onConflictColumn: "stripe_checkout_session_id" },
  );
  if (!created) {
    // A concurrent fulfilment of the same session committed first.
    const winner = await tx.query<{ id: string }>(
      "SELECT id FROM licenses WHERE stripe_checkout_session_id = $1",
      [sessionId],
    );
    return { outcome: "already_fulfilled", licenseId: winner.rows[0]!.id };
  }
  // The workstations bought at checkout start with the buyer (the owner reassigns them, ADR 0241).
  await reconcileWorkstations(tx, created, subscription, catalog, { actor, now, assignee: buyer });
  // The receipt commits with the license (the outbox, ADR 0210): only the fulfilment that created it mails.
  await notifyLicense(tx, created, purchaseReceipt(created, deps.config.publicBaseUrl), now);
  return { outcome: "fulfilled", licenseId: created.id };
}

/** Issues the license key if none was ever issued; returns it (once) or null when already issued. */
export async function issueKeyOnce(
  deps: Pick<BillingDeps, "clock" | "config">,
  tx: Queryable,
  license: LicenseRow,
  actor: string,
  newKey: () => { key: string; hash: string },
): Promise<{ key: string | null; license: LicenseRow }> {
  if (license.key_hash) return { key: null, license };
  const { key, hash } = newKey();
  const now = deps.clock.now();
  const after = await updateLicense(
    tx,
    license,
    { key_hash: hash, key_issued_at: now },
    {
      actor,
      action: "license.key_issued",
      now,
      paymentGraceMs: deps.config.paymentGraceMs,
    },
  );
  return { key, license: after };
}
