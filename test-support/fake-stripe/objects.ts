/**
 * Test infrastructure (fake Stripe): the in-memory objects of a small stateful fake of the Stripe API —
 * prices, customers, Checkout Sessions, subscriptions, invoices, charges and the events they emit.
 * Object shapes follow the Stripe API version the SDK pins (2026-10-28), reduced to the fields used.
 * Simulations of Stripe's own behaviour live in store.ts.
 */
import { randomBytes } from "node:crypto";

export type Obj = Record<string, unknown> & { id: string };

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

export class FakeStripeObjects {
  readonly prices = new Map<string, Obj>();
  readonly customers = new Map<string, Obj>();
  readonly sessions = new Map<string, Obj & { line_items_data: Obj[] }>();
  readonly subscriptions = new Map<string, Obj>();
  readonly invoices = new Map<string, Obj>();
  readonly charges = new Map<string, Obj>();
  readonly disputes = new Map<string, Obj>();
  readonly portalSessions = new Map<string, Obj>();
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
      id: FakeStripeObjects.id("evt"),
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
      id: FakeStripeObjects.id("cus"),
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
        id: FakeStripeObjects.id("li"),
        object: "item",
        price,
        quantity,
        amount_total: Number(price.unit_amount) * quantity,
        currency: "usd",
      };
    });
    const customer =
      typeof params.customer === "string" ? this.get(this.customers, params.customer, "customer") : null;
    const id = FakeStripeObjects.id("cs");
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
  publicSession(session: Obj): Obj {
    const {
      line_items_data: _items,
      subscription_data_metadata: _meta,
      ...rest
    } = session as Obj & Record<string, unknown>;
    return rest as Obj;
  }

  items(subscription: Obj): Obj[] {
    return (subscription.items as { data: Obj[] }).data;
  }

  newInvoice(subscription: Obj, status: "paid" | "open", attempts: number): Obj {
    const items = this.items(subscription);
    const amount = items.reduce(
      (sum, i) => sum + Number((i.price as Obj).unit_amount) * Number(i.quantity),
      0,
    );
    const invoice: Obj = {
      id: FakeStripeObjects.id("in"),
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
    invoice.hosted_invoice_url = `${this.baseUrl()}/_fake/invoices/${invoice.id}`;
    this.invoices.set(invoice.id, invoice);
    subscription.latest_invoice = invoice.id;
    return invoice;
  }

  charge(invoice: Obj): Obj {
    const charge: Obj = {
      id: FakeStripeObjects.id("ch"),
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
}
