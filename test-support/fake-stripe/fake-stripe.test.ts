import { createServer, type IncomingMessage } from "node:http";
import type { AddressInfo } from "node:net";
import Stripe from "stripe";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseForm } from "./form.js";
import { type FakeStripe, startFakeStripe } from "./server.js";
import { deliverEvent } from "./webhooks.js";

describe("parseForm", () => {
  it("decodes Stripe's bracket encoding into objects and arrays", () => {
    expect(
      parseForm(
        "mode=subscription&line_items[0][price]=p1&line_items[0][quantity]=2&line_items[1][price]=p2&metadata[org]=acme&expand[]=a&expand[]=b",
      ),
    ).toEqual({
      mode: "subscription",
      line_items: [{ price: "p1", quantity: "2" }, { price: "p2" }],
      metadata: { org: "acme" },
      expand: ["a", "b"],
    });
  });
});

describe("fake Stripe (test infrastructure) through the real Stripe SDK", () => {
  let fake: FakeStripe;
  let stripe: Stripe;
  beforeAll(async () => {
    fake = await startFakeStripe();
    stripe = fake.client();
  });
  afterAll(() => fake.stop());

  it("creates and retrieves checkout sessions with line items", async () => {
    const customer = await stripe.customers.create({ email: "a@b.test" });
    const session = await stripe.checkout.sessions.create({
      mode: "subscription",
      customer: customer.id,
      line_items: [{ price: "price_fake_pro_monthly", quantity: 3 }],
      success_url: "http://x/success",
    });
    expect(session.status).toBe("open");
    const items = await stripe.checkout.sessions.listLineItems(session.id);
    expect(items.data.map((i) => [i.price?.id, i.quantity])).toEqual([["price_fake_pro_monthly", 3]]);
    expect((await stripe.checkout.sessions.retrieve(session.id)).id).toBe(session.id);
  });

  it("answers unknown ids and prices with Stripe's error types", async () => {
    await expect(stripe.subscriptions.retrieve("sub_missing")).rejects.toMatchObject({
      type: "StripeInvalidRequestError",
      statusCode: 404,
    });
    await expect(
      stripe.checkout.sessions.create({
        mode: "subscription",
        line_items: [{ price: "price_nope", quantity: 1 }],
      }),
    ).rejects.toThrow(/No such price: 'price_nope'/);
    await expect(
      new Stripe("not-a-key", { host: "127.0.0.1", port: fake.port, protocol: "http" }).prices.list(),
    ).rejects.toMatchObject({
      statusCode: 401,
    });
  });

  it("replays a request with the same Idempotency-Key and refuses it with other parameters", async () => {
    const a = await stripe.customers.create({ email: "x@y.test" }, { idempotencyKey: "idem-1" });
    const b = await stripe.customers.create({ email: "x@y.test" }, { idempotencyKey: "idem-1" });
    expect(b.id).toBe(a.id);
    await expect(
      stripe.customers.create({ email: "other@y.test" }, { idempotencyKey: "idem-1" }),
    ).rejects.toMatchObject({
      type: "StripeIdempotencyError",
    });
  });

  it("completing a checkout over HTTP creates an active subscription and delivers signed webhooks, retrying failures", async () => {
    const received: { signature: string; body: string }[] = [];
    let failuresLeft = 2;
    const receiver = createServer(async (req: IncomingMessage, res) => {
      let body = "";
      for await (const chunk of req) body += chunk;
      if (failuresLeft-- > 0) {
        res.writeHead(503).end();
        return;
      }
      received.push({ signature: String(req.headers["stripe-signature"]), body });
      res.writeHead(200).end("{}");
    });
    await new Promise<void>((r) => receiver.listen(0, "127.0.0.1", r));
    const secret = "whsec_fake_test";
    const configure = await fetch(`${fake.url}/_fake/webhook_endpoint`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({
        url: `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hook`,
        secret,
      }),
    });
    expect(configure.status).toBe(200);

    const session = await stripe.checkout.sessions.create({
      mode: "subscription",
      line_items: [{ price: "price_fake_ai_monthly", quantity: 1 }],
    });
    const done = (await (
      await fetch(`${fake.url}/_fake/checkout_sessions/${session.id}/complete`, { method: "POST" })
    ).json()) as {
      subscription: string;
      events: string[];
    };
    expect(done.events).toHaveLength(3);
    const subscription = await stripe.subscriptions.retrieve(done.subscription);
    expect(subscription.status).toBe("active");
    expect((await stripe.checkout.sessions.retrieve(session.id)).payment_status).toBe("paid");

    const results = await fake.settled();
    expect(results.every((r) => r.delivered)).toBe(true);
    expect(results[0]!.attempts).toBe(3);
    expect(received.map((r) => (JSON.parse(r.body) as { type: string }).type)).toEqual([
      "customer.subscription.created",
      "invoice.paid",
      "checkout.session.completed",
    ]);
    for (const r of received) {
      expect(() => stripe.webhooks.constructEvent(r.body, r.signature, secret)).not.toThrow();
    }
    fake.setWebhookTarget(undefined);
    await new Promise((r) => receiver.close(r));
  });

  it("deliverEvent gives up after maxAttempts and reports why", async () => {
    const result = await deliverEvent(
      { id: "evt_x" },
      { url: "http://127.0.0.1:9/unreachable", secret: "whsec_x" },
      { maxAttempts: 2, initialBackoffMs: 1 },
    );
    expect(result).toMatchObject({ delivered: false, attempts: 2, lastStatus: null });
    expect(result.lastError).toBeTruthy();
  });
  it("hangs the matching API calls while a hang fault is set (over HTTP too), and recovers when cleared", async () => {
    const control = (body: unknown) =>
      fetch(`${fake.url}/_fake/fault`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify(body),
      });
    expect(await (await control({ kind: "hang", path: "^/v1/customers" })).json()).toEqual({
      fault: { kind: "hang", path: "^/v1/customers" },
    });
    const impatient = new Stripe("sk_test_fake", {
      host: "127.0.0.1",
      port: fake.port,
      protocol: "http",
      timeout: 300,
      maxNetworkRetries: 0,
    });
    await expect(impatient.customers.create({ email: "a@b.test" })).rejects.toBeInstanceOf(
      Stripe.errors.StripeConnectionError,
    );
    expect(fake.faultedRequests()).toBe(1);
    // Other calls are not affected.
    expect((await impatient.prices.list()).data.length).toBeGreaterThan(0);
    expect(await (await control({})).json()).toEqual({ fault: null });
    expect((await impatient.customers.create({ email: "a@b.test" })).id).toMatch(/^cus_/);
  });
});
