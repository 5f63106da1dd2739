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
    for (const change of (params.items as Record<string, string>[] | undefined) ?? []) {
      const item = this.items(subscription).find((i) => i.id === change.id);
      if (!item)
        throw new FakeStripeError(
          400,
          "resource_missing",
          `No such subscription item: '${change.id}'`,
          "items",
        );
      if (change.quantity !== undefined) item.quantity = Number(change.quantity);
    }
    this.emit("customer.subscription.updated", subscription);
    return subscription;
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
