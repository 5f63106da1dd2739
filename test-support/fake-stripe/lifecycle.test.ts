/**
 * The fake Stripe's lifecycle endpoints (issue 16 §2) through the real Stripe SDK: billing portal sessions,
 * subscription item changes (quantity, price, added and deleted items), disputes, expiring a Checkout
 * Session, and the simulations that emit the events billing handles.
 */
import type Stripe from "stripe";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type FakeStripe, startFakeStripe } from "./server.js";

describe("fake Stripe lifecycle endpoints through the real Stripe SDK", () => {
  let fake: FakeStripe;
  let stripe: Stripe;
  beforeAll(async () => {
    fake = await startFakeStripe();
    stripe = fake.client();
  });
  afterAll(() => fake.stop());

  const subscribe = async () => {
    const customer = await stripe.customers.create({ email: "owner@life.test" });
    const session = await stripe.checkout.sessions.create({
      mode: "subscription",
      customer: customer.id,
      line_items: [
        { price: "price_fake_pro_monthly", quantity: 2 },
        { price: "price_fake_standard_monthly", quantity: 1 },
      ],
      success_url: "http://x/success",
    });
    const { subscription } = fake.store.completeCheckout(session.id);
    return { customer, subscription: await stripe.subscriptions.retrieve(subscription.id) };
  };

  it("billing portal sessions for a known customer; an unknown customer is a 404", async () => {
    const { customer } = await subscribe();
    const portal = await stripe.billingPortal.sessions.create({
      customer: customer.id,
      return_url: "http://billing.test/account/",
    });
    expect(portal).toMatchObject({
      object: "billing_portal.session",
      customer: customer.id,
      return_url: "http://billing.test/account/",
    });
    expect(portal.url).toBe(`${fake.url}/_fake/billing_portal/${portal.id}`);
    await expect(stripe.billingPortal.sessions.create({ customer: "cus_nobody" })).rejects.toMatchObject({
      statusCode: 404,
      code: "resource_missing",
    });
  });

  it("subscription updates change prices and quantities, add and delete items, and emit customer.subscription.updated", async () => {
    const { subscription } = await subscribe();
    const [license, workstation] = subscription.items.data;
    const updated = await stripe.subscriptions.update(subscription.id, {
      items: [
        { id: license!.id, price: "price_fake_starter_monthly" },
        { id: workstation!.id, deleted: true },
        { price: "price_fake_power_monthly", quantity: 3 },
      ],
    });
    expect(updated.items.data.map((i) => [i.price.id, i.quantity])).toEqual([
      ["price_fake_starter_monthly", 2],
      ["price_fake_power_monthly", 3],
    ]);
    expect(fake.store.events.at(-1)).toMatchObject({ type: "customer.subscription.updated" });
    await expect(
      stripe.subscriptions.update(subscription.id, { items: [{ id: license!.id, quantity: -1 }] }),
    ).rejects.toMatchObject({ statusCode: 400, code: "parameter_invalid_integer" });
  });

  it("disputes: opened on a charge, retrievable, closed won or lost, each with its event", async () => {
    const { subscription } = await subscribe();
    const charge = fake.store.chargesOf(subscription.id)[0]!;
    const [created] = fake.store.disputeCharge(charge.id);
    expect(created).toMatchObject({ type: "charge.dispute.created" });
    const id = (created!.data as { object: { id: string } }).object.id;
    expect(await stripe.disputes.retrieve(id)).toMatchObject({ status: "needs_response", charge: charge.id });
    const [closed] = fake.store.closeDispute(id, "lost");
    expect(closed).toMatchObject({ type: "charge.dispute.closed" });
    expect((await stripe.disputes.retrieve(id)).status).toBe("lost");
  });

  it("expires an open Checkout Session (checkout.session.expired), and only an open one", async () => {
    const session = await stripe.checkout.sessions.create({
      mode: "subscription",
      line_items: [{ price: "price_fake_pro_monthly", quantity: 1 }],
      success_url: "http://x/success",
    });
    const expired = await stripe.checkout.sessions.expire(session.id);
    expect(expired.status).toBe("expired");
    expect(fake.store.events.at(-1)).toMatchObject({ type: "checkout.session.expired" });
    await expect(stripe.checkout.sessions.expire(session.id)).rejects.toMatchObject({ statusCode: 400 });
  });

  it("trial end and payment confirmation simulations emit their events with Stripe's fields", async () => {
    const { subscription } = await subscribe();
    const [trial] = fake.store.trialWillEnd(subscription.id, 3);
    expect(trial).toMatchObject({ type: "customer.subscription.trial_will_end" });
    expect((await stripe.subscriptions.retrieve(subscription.id)).status).toBe("trialing");
    const [action] = fake.store.requirePaymentAction(subscription.id);
    expect(action).toMatchObject({ type: "invoice.payment_action_required" });
    const invoice = await stripe.invoices.retrieve((action!.data as { object: { id: string } }).object.id);
    expect(invoice).toMatchObject({
      status: "open",
      hosted_invoice_url: `${fake.url}/_fake/invoices/${invoice.id}`,
    });
  });
});
