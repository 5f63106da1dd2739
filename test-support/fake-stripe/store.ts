/**
 * Test infrastructure (fake Stripe): simulations of what Stripe does on its own — a customer completing
 * checkout, renewals, failed payments, dunning's final status, cancellations, refunds — on top of the
 * objects in objects.ts. Each returns the events it emitted.
 */
import { FakeStripeError, FakeStripeObjects, type Obj } from "./objects.js";

export { type FakePrice, FakeStripeError } from "./objects.js";

const PERIOD_SECONDS = 30 * 24 * 60 * 60;

export class FakeStripeStore extends FakeStripeObjects {
  completeCheckout(sessionId: string): { subscription: Obj; events: Obj[] } {
    const session = this.get(this.sessions, sessionId, "checkout session");
    if (session.status === "complete") {
      throw new FakeStripeError(
        400,
        "checkout_session_already_complete",
        `checkout session ${sessionId} is already complete`,
      );
    }
    let customerId = session.customer as string | null;
    if (!customerId) customerId = this.createCustomer({ email: session.customer_email }).id;
    const start = this.seconds();
    const subId = FakeStripeStore.id("sub");
    const subscription: Obj = {
      id: subId,
      object: "subscription",
      customer: customerId,
      status: "active",
      created: start,
      start_date: start,
      cancel_at_period_end: false,
      canceled_at: null,
      ended_at: null,
      cancellation_details: { reason: null, comment: null, feedback: null },
      metadata: session.subscription_data_metadata,
      latest_invoice: null,
      trial_end: null,
      items: {
        object: "list",
        has_more: false,
        url: `/v1/subscription_items?subscription=${subId}`,
        data: session.line_items_data.map((li) => ({
          id: FakeStripeStore.id("si"),
          object: "subscription_item",
          price: li.price,
          quantity: li.quantity,
          current_period_start: start,
          current_period_end: start + PERIOD_SECONDS,
          subscription: subId,
          metadata: {},
        })),
      },
    };
    this.subscriptions.set(subId, subscription);
    const events = [this.emit("customer.subscription.created", subscription)];
    const invoice = this.newInvoice(subscription, "paid", 1);
    this.charge(invoice);
    events.push(this.emit("invoice.paid", invoice));
    Object.assign(session, {
      status: "complete",
      payment_status: "paid",
      customer: customerId,
      customer_details: { email: this.customers.get(customerId)?.email ?? session.customer_email },
      subscription: subId,
    });
    events.push(this.emit("checkout.session.completed", this.publicSession(session)));
    return { subscription, events };
  }

  failPayment(subscriptionId: string): Obj[] {
    const subscription = this.get(this.subscriptions, subscriptionId, "subscription");
    const latest = this.invoices.get(String(subscription.latest_invoice));
    const invoice = latest && latest.status === "open" ? latest : this.newInvoice(subscription, "open", 0);
    invoice.attempt_count = Number(invoice.attempt_count) + 1;
    subscription.status = "past_due";
    return [
      this.emit("invoice.payment_failed", invoice),
      this.emit("customer.subscription.updated", subscription),
    ];
  }

  /** The next period is paid (a renewal, or a successful retry of the open invoice). */
  payInvoice(subscriptionId: string): Obj[] {
    const subscription = this.get(this.subscriptions, subscriptionId, "subscription");
    const latest = this.invoices.get(String(subscription.latest_invoice));
    for (const item of this.items(subscription)) {
      item.current_period_start = item.current_period_end;
      item.current_period_end = Number(item.current_period_end) + PERIOD_SECONDS;
    }
    let invoice: Obj;
    if (latest && latest.status === "open") {
      invoice = latest;
      invoice.status = "paid";
      invoice.attempt_count = Number(invoice.attempt_count) + 1;
      invoice.amount_paid = invoice.amount_due;
    } else {
      invoice = this.newInvoice(subscription, "paid", 1);
    }
    this.charge(invoice);
    subscription.status = "active";
    return [this.emit("invoice.paid", invoice), this.emit("customer.subscription.updated", subscription)];
  }

  /** Retries are exhausted and the account is set to mark subscriptions unpaid. */
  markUnpaid(subscriptionId: string): Obj[] {
    const subscription = this.get(this.subscriptions, subscriptionId, "subscription");
    subscription.status = "unpaid";
    return [this.emit("customer.subscription.updated", subscription)];
  }

  updateSubscription(subscriptionId: string, params: Record<string, unknown>): Obj {
    const subscription = this.get(this.subscriptions, subscriptionId, "subscription");
    if (subscription.status === "canceled") {
      throw new FakeStripeError(
        400,
        "resource_invalid",
        "A canceled subscription can only update its metadata",
      );
    }
    if (params.cancel_at_period_end !== undefined)
      subscription.cancel_at_period_end = params.cancel_at_period_end === "true";
    if (params.metadata)
      subscription.metadata = { ...(subscription.metadata as object), ...(params.metadata as object) };
    this.applyItemChanges(subscription, (params.items as Record<string, string>[] | undefined) ?? []);
    this.emit("customer.subscription.updated", subscription);
    return subscription;
  }

  /**
   * Item changes as Stripe's API takes them (`items[n][id|price|quantity|deleted]`): an id with a price moves
   * that item to another price (a plan change), an id with `deleted` removes it, a price without an id adds
   * an item. Stripe prorates; the fake only changes the items.
   */
  applyItemChanges(subscription: Obj, changes: Record<string, string>[]): void {
    const data = this.items(subscription);
    for (const [n, change] of changes.entries()) {
      const quantity = change.quantity === undefined ? undefined : Number(change.quantity);
      if (quantity !== undefined && (!Number.isInteger(quantity) || quantity < 0)) {
        throw new FakeStripeError(
          400,
          "parameter_invalid_integer",
          "Invalid quantity",
          `items[${n}][quantity]`,
        );
      }
      if (change.id === undefined) {
        const price = this.get(this.prices, String(change.price), "price");
        const period = data[0] ?? {
          current_period_start: this.seconds(),
          current_period_end: this.seconds(),
        };
        data.push({
          id: FakeStripeStore.id("si"),
          object: "subscription_item",
          price,
          quantity: quantity ?? 1,
          current_period_start: period.current_period_start,
          current_period_end: period.current_period_end,
          subscription: subscription.id,
          metadata: {},
        });
        continue;
      }
      const index = data.findIndex((i) => i.id === change.id);
      if (index === -1) {
        throw new FakeStripeError(
          400,
          "resource_missing",
          `No such subscription item: '${change.id}'`,
          "items",
        );
      }
      const item = data[index]!;
      if (change.deleted === "true") {
        data.splice(index, 1);
        continue;
      }
      if (change.price !== undefined) item.price = this.get(this.prices, change.price, "price");
      if (quantity !== undefined) item.quantity = quantity;
    }
  }

  /** A trial that ends in `days` days; Stripe sends trial_will_end three days before the end. */
  trialWillEnd(subscriptionId: string, days = 3): Obj[] {
    const subscription = this.get(this.subscriptions, subscriptionId, "subscription");
    subscription.status = "trialing";
    subscription.trial_end = this.seconds() + days * 24 * 60 * 60;
    return [this.emit("customer.subscription.trial_will_end", subscription)];
  }

  /** A renewal needs the cardholder's confirmation (3-D Secure): an open invoice, the subscription past due. */
  requirePaymentAction(subscriptionId: string): Obj[] {
    const subscription = this.get(this.subscriptions, subscriptionId, "subscription");
    const invoice = this.newInvoice(subscription, "open", 1);
    subscription.status = "past_due";
    return [
      this.emit("invoice.payment_action_required", invoice),
      this.emit("customer.subscription.updated", subscription),
    ];
  }

  /** The session's customer left without paying and Stripe expired it (also POST …/expire in the API). */
  expireCheckout(sessionId: string): Obj[] {
    const session = this.get(this.sessions, sessionId, "checkout session");
    if (session.status !== "open") {
      throw new FakeStripeError(
        400,
        "checkout_session_not_open",
        `checkout session ${sessionId} is not open`,
      );
    }
    session.status = "expired";
    return [this.emit("checkout.session.expired", this.publicSession(session))];
  }

  /** The cardholder disputes a charge with their bank (a chargeback: needs_response). */
  disputeCharge(chargeId: string, status = "needs_response"): Obj[] {
    const charge = this.get(this.charges, chargeId, "charge");
    const dispute: Obj = {
      id: FakeStripeStore.id("dp"),
      object: "dispute",
      amount: charge.amount,
      charge: charge.id,
      currency: "usd",
      created: this.seconds(),
      livemode: false,
      reason: "fraudulent",
      status,
      metadata: {},
    };
    this.disputes.set(dispute.id, dispute);
    charge.disputed = true;
    return [this.emit("charge.dispute.created", dispute)];
  }

  /** The bank decides: won (funds back to us) or lost. */
  closeDispute(disputeId: string, status: "won" | "lost"): Obj[] {
    const dispute = this.get(this.disputes, disputeId, "dispute");
    dispute.status = status;
    return [this.emit("charge.dispute.closed", dispute)];
  }

  createPortalSession(params: Record<string, unknown>): Obj {
    if (typeof params.customer !== "string") {
      throw new FakeStripeError(400, "parameter_missing", "Missing required param: customer.", "customer");
    }
    const customer = this.get(this.customers, params.customer, "customer");
    const id = FakeStripeStore.id("bps");
    const session: Obj = {
      id,
      object: "billing_portal.session",
      created: this.seconds(),
      customer: customer.id,
      livemode: false,
      locale: null,
      return_url: params.return_url ?? null,
      url: `${this.baseUrl()}/_fake/billing_portal/${id}`,
    };
    this.portalSessions.set(id, session);
    return session;
  }

  cancelSubscription(subscriptionId: string, reason = "cancellation_requested"): Obj {
    const subscription = this.get(this.subscriptions, subscriptionId, "subscription");
    Object.assign(subscription, {
      status: "canceled",
      canceled_at: this.seconds(),
      ended_at: this.seconds(),
      cancellation_details: { reason, comment: null, feedback: null },
    });
    this.emit("customer.subscription.deleted", subscription);
    return subscription;
  }

  refundCharge(chargeId: string, amount?: number): Obj[] {
    const charge = this.get(this.charges, chargeId, "charge");
    const refund = Math.min(
      Number(charge.amount),
      Number(charge.amount_refunded) + (amount ?? Number(charge.amount)),
    );
    charge.amount_refunded = refund;
    charge.refunded = refund >= Number(charge.amount);
    return [this.emit("charge.refunded", charge)];
  }

  /** The charges of a subscription's invoices, newest last. */
  chargesOf(subscriptionId: string): Obj[] {
    return [...this.invoices.values()]
      .filter(
        (i) =>
          (i.parent as { subscription_details: { subscription: string } }).subscription_details
            .subscription === subscriptionId,
      )
      .map((i) => this.charges.get(String(i.charge)))
      .filter((c): c is Obj => c !== undefined);
  }
}
