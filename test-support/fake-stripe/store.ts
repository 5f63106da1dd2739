/**
 * Test infrastructure (fake Stripe): the in-memory state of a small stateful fake of the Stripe API —
 * prices, customers, Checkout Sessions, subscriptions, invoices, charges and the events they emit — plus
 * simulations of what Stripe does on its own (a customer paying, a renewal, a failed payment, a refund).
 * Object shapes follow the Stripe API version the SDK pins (2026-10-28), reduced to the fields used.
 */
import { randomBytes } from "node:crypto";

type Obj = Record<string, unknown> & { id: string };

export interface FakePrice {
  id: string;
  unitAmount: number;
  productName: string;
}

export class FakeStripeError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly param?: string,
  ) {
    super(message);
  }
}

const PERIOD_SECONDS = 30 * 24 * 60 * 60;

export class FakeStripeStore {
  readonly prices = new Map<string, Obj>();
  readonly customers = new Map<string, Obj>();
  readonly sessions = new Map<string, Obj & { line_items_data: Obj[] }>();
  readonly subscriptions = new Map<string, Obj>();
  readonly invoices = new Map<string, Obj>();
  readonly charges = new Map<string, Obj>();
  readonly events: Obj[] = [];
  /** Called for every new event (the server uses it to deliver webhooks). */
  onEvent: ((event: Obj) => void) | undefined;

  constructor(
    prices: FakePrice[],
    readonly now: () => Date = () => new Date(),
    readonly baseUrl: () => string = () => "http://127.0.0.1",
  ) {
    for (const p of prices) {
      this.prices.set(p.id, {
        id: p.id,
        object: "price",
        active: true,
        currency: "usd",
        unit_amount: p.unitAmount,
        type: "recurring",
        recurring: { interval: "month", interval_count: 1 },
        product: `prod_${p.id.replace(/^price_/, "")}`,
        nickname: p.productName,
      });
    }
  }

  seconds(): number {
    return Math.floor(this.now().getTime() / 1000);
  }

  static id(prefix: string): string {
    return `${prefix}_test_${randomBytes(12).toString("base64url").replace(/[-_]/g, "x")}`;
  }

  get<T extends Obj>(map: Map<string, T>, id: string, kind: string): T {
    const found = map.get(id);
    if (!found) throw new FakeStripeError(404, "resource_missing", `No such ${kind}: '${id}'`, "id");
    return found;
  }

  emit(type: string, object: Obj): Obj {
    const event: Obj = {
      id: FakeStripeStore.id("evt"),
      object: "event",
      api_version: "2026-10-28.endive",
      created: this.seconds(),
      livemode: false,
      pending_webhooks: 1,
      request: { id: null, idempotency_key: null },
      type,
      data: { object: structuredClone(object) },
    };
    this.events.push(event);
    this.onEvent?.(event);
    return event;
  }

  createCustomer(params: Record<string, unknown>): Obj {
    const customer: Obj = {
      id: FakeStripeStore.id("cus"),
      object: "customer",
      created: this.seconds(),
      email: params.email ?? null,
      metadata: params.metadata ?? {},
    };
    this.customers.set(customer.id, customer);
    return customer;
  }

  createCheckoutSession(params: Record<string, unknown>): Obj {
    if (params.mode !== "subscription") {
      throw new FakeStripeError(
        400,
        "parameter_invalid",
        "this fake supports mode=subscription only",
        "mode",
      );
    }
    const items = (params.line_items as Record<string, string>[] | undefined) ?? [];
    if (items.length === 0)
      throw new FakeStripeError(
        400,
        "parameter_missing",
        "Missing required param: line_items.",
        "line_items",
      );
    const lineItems = items.map((li, i) => {
      const price = this.get(this.prices, String(li.price), "price");
      const quantity = Number(li.quantity ?? 1);
      if (!Number.isInteger(quantity) || quantity < 1) {
        throw new FakeStripeError(
          400,
          "parameter_invalid_integer",
          "Invalid quantity",
          `line_items[${i}][quantity]`,
        );
      }
      return {
        id: FakeStripeStore.id("li"),
        object: "item",
        price,
        quantity,
        amount_total: Number(price.unit_amount) * quantity,
        currency: "usd",
      };
    });
    const customer =
      typeof params.customer === "string" ? this.get(this.customers, params.customer, "customer") : null;
    const id = FakeStripeStore.id("cs");
    const session = {
      id,
      object: "checkout.session",
      mode: "subscription",
      status: "open",
      payment_status: "unpaid",
      created: this.seconds(),
      url: `${this.baseUrl()}/_fake/checkout/${id}`,
      customer: customer?.id ?? null,
      customer_email: (params.customer_email as string | undefined) ?? null,
      customer_details: customer ? { email: customer.email } : null,
      client_reference_id: params.client_reference_id ?? null,
      metadata: params.metadata ?? {},
      subscription_data_metadata:
        (params.subscription_data as Record<string, unknown> | undefined)?.metadata ?? {},
      success_url: params.success_url ?? null,
      cancel_url: params.cancel_url ?? null,
      subscription: null as string | null,
      line_items_data: lineItems,
    };
    this.sessions.set(id, session);
    return session;
  }

  /** What Stripe does when the customer pays: subscription, paid invoice and charge, then events. */
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
    const invoice = this.#newInvoice(subscription, "paid", 1);
    this.#charge(invoice);
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

  publicSession(session: Obj): Obj {
    const {
      line_items_data: _items,
      subscription_data_metadata: _meta,
      ...rest
    } = session as Obj & Record<string, unknown>;
    return rest as Obj;
  }

  #items(subscription: Obj): Obj[] {
    return (subscription.items as { data: Obj[] }).data;
  }

  #newInvoice(subscription: Obj, status: "paid" | "open", attempts: number): Obj {
    const items = this.#items(subscription);
    const amount = items.reduce(
      (sum, i) => sum + Number((i.price as Obj).unit_amount) * Number(i.quantity),
      0,
    );
    const invoice: Obj = {
      id: FakeStripeStore.id("in"),
      object: "invoice",
      customer: subscription.customer,
      status,
      attempt_count: attempts,
      attempted: true,
      amount_due: amount,
      amount_paid: status === "paid" ? amount : 0,
      created: this.seconds(),
      period_start: items[0]?.current_period_start,
      period_end: items[0]?.current_period_end,
      parent: {
        type: "subscription_details",
        subscription_details: { subscription: subscription.id, metadata: subscription.metadata },
      },
      charge: null,
    };
    this.invoices.set(invoice.id, invoice);
    subscription.latest_invoice = invoice.id;
    return invoice;
  }

  #charge(invoice: Obj): Obj {
    const charge: Obj = {
      id: FakeStripeStore.id("ch"),
      object: "charge",
      customer: invoice.customer,
      amount: invoice.amount_due,
      amount_captured: invoice.amount_due,
      amount_refunded: 0,
      refunded: false,
      paid: true,
      status: "succeeded",
      created: this.seconds(),
      currency: "usd",
      metadata: {},
    };
    this.charges.set(charge.id, charge);
    invoice.charge = charge.id;
    return charge;
  }

  /** A renewal payment (or a retry) fails: the open invoice's attempt count grows, the subscription is past due. */
  failPayment(subscriptionId: string): Obj[] {
    const subscription = this.get(this.subscriptions, subscriptionId, "subscription");
    const latest = this.invoices.get(String(subscription.latest_invoice));
    const invoice = latest && latest.status === "open" ? latest : this.#newInvoice(subscription, "open", 0);
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
    for (const item of this.#items(subscription)) {
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
      invoice = this.#newInvoice(subscription, "paid", 1);
    }
    this.#charge(invoice);
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
      const item = this.#items(subscription).find((i) => i.id === change.id);
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
