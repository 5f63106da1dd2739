import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type BillingHarness, eventsById, startBillingHarness } from "../testing/harness.js";

interface LicenseView {
  id: string;
  state: string;
  stateReason: string;
  seats: number;
  tier: string;
  expiresAt: string | null;
  graceEndsAt: string | null;
  stripe: { subscriptionStatus: string | null; failedPaymentAttempts: number };
}

describe("Stripe webhooks", () => {
  let h: BillingHarness;
  beforeAll(async () => {
    h = await startBillingHarness();
  });
  afterAll(() => h.stop());

  const licenseBySubscription = async (subscriptionId: string): Promise<LicenseView | undefined> => {
    const row = await h.pool.query("SELECT id FROM licenses WHERE stripe_subscription_id = $1", [
      subscriptionId,
    ]);
    if (!row.rows[0]) return undefined;
    const res = await h.admin("GET", `/licenses/${row.rows[0].id}`);
    return ((await res.json()) as { license: LicenseView }).license;
  };
  const deliver = async (ids: string[]) => {
    const outcomes: string[] = [];
    for (const event of eventsById(h.fake, ids)) {
      const res = await h.sendEvent(event);
      expect(res.status).toBe(200);
      outcomes.push(((await res.json()) as { outcome: string }).outcome);
    }
    return outcomes;
  };
  const counts = async () => {
    const r = await h.pool.query(
      "SELECT (SELECT count(*) FROM licenses)::int AS licenses, (SELECT count(*) FROM audit_events)::int AS audits, (SELECT count(*) FROM stripe_events)::int AS events",
    );
    return r.rows[0] as { licenses: number; audits: number; events: number };
  };

  it("checkout.session.completed creates the license from Stripe's state, once", async () => {
    const purchase = await h.buy([{ product: "pro", quantity: 3 }]);
    const completed = purchase.events.find((e) => e.type === "checkout.session.completed")!;
    expect(await deliver([completed.id])).toEqual(["processed"]);
    const license = await licenseBySubscription(purchase.subscriptionId);
    expect(license).toMatchObject({ state: "active", stateReason: "Paid", tier: "pro", seats: 3 });
    expect(license!.expiresAt).toBe("2026-07-01T00:00:00.000Z");

    const before = await counts();
    const again = await h.sendEvent(eventsById(h.fake, [completed.id])[0]);
    expect(await again.json()).toMatchObject({ outcome: "duplicate", duplicate: true });
    expect(await counts()).toEqual(before);
  });

  it("subscription created/updated: status and quantity are refetched, not read from the payload", async () => {
    const purchase = await h.buy([{ product: "starter", quantity: 1 }], "refetch-co");
    await deliver(purchase.events.map((e) => e.id));
    const sub = h.fake.store.subscriptions.get(purchase.subscriptionId)!;
    const itemId = (sub.items as { data: { id: string }[] }).data[0]!.id;
    const stale = eventsById(h.fake, [
      purchase.events.find((e) => e.type === "customer.subscription.created")!.id,
    ])[0]!;
    await h.deps.stripe.subscriptions.update(purchase.subscriptionId, {
      items: [{ id: itemId, quantity: 4 }],
    });
    const updated = h.fake.store.events.at(-1)!;
    expect(updated.type).toBe("customer.subscription.updated");
    // A stale "created" event with a NEW id (as if replayed out of order) still yields Stripe's current state.
    const reordered = { ...stale, id: "evt_test_reordered_created" };
    const response = (await (await h.sendEvent(reordered)).json()) as { outcome: string };
    expect(response.outcome).toBe("processed");
    expect((await licenseBySubscription(purchase.subscriptionId))!.seats).toBe(4);
    await deliver([updated.id]);
    expect((await licenseBySubscription(purchase.subscriptionId))!.seats).toBe(4);
  });

  it("invoice.payment_failed → pastDue with grace; unpaid (final) → revoked", async () => {
    const purchase = await h.buy([{ product: "pro", quantity: 1 }], "failing-co");
    await deliver(purchase.events.map((e) => e.id));
    await deliver(h.fake.store.failPayment(purchase.subscriptionId).map((e) => e.id));
    let license = (await licenseBySubscription(purchase.subscriptionId))!;
    expect(license).toMatchObject({ state: "pastDue", stateReason: "PaymentFailed" });
    expect(license.stripe.failedPaymentAttempts).toBe(1);
    expect(license.graceEndsAt).toBe("2026-06-08T00:00:00.000Z");

    await deliver(h.fake.store.failPayment(purchase.subscriptionId).map((e) => e.id));
    license = (await licenseBySubscription(purchase.subscriptionId))!;
    expect(license.state).toBe("pastDue");
    expect(license.stripe.failedPaymentAttempts).toBe(2);
    expect(license.graceEndsAt).toBe("2026-06-08T00:00:00.000Z");

    await deliver(h.fake.store.markUnpaid(purchase.subscriptionId).map((e) => e.id));
    expect(await licenseBySubscription(purchase.subscriptionId)).toMatchObject({
      state: "revoked",
      stateReason: "PaymentFailed",
    });
  });

  it("invoice.paid after a failure restores the license and extends it to the new period end", async () => {
    const purchase = await h.buy([{ product: "pro", quantity: 1 }], "restored-co");
    await deliver(purchase.events.map((e) => e.id));
    await deliver(h.fake.store.failPayment(purchase.subscriptionId).map((e) => e.id));
    const paid = h.fake.store.payInvoice(purchase.subscriptionId);
    await deliver([paid[0]!.id]); // invoice.paid only
    const license = (await licenseBySubscription(purchase.subscriptionId))!;
    expect(license).toMatchObject({ state: "active", stateReason: "Paid", graceEndsAt: null });
    expect(license.stripe.failedPaymentAttempts).toBe(0);
    expect(license.expiresAt).toBe("2026-07-31T00:00:00.000Z");
  });

  it("customer.subscription.deleted → expired (customer cancel) or revoked (non-payment cancel)", async () => {
    const a = await h.buy([{ product: "starter", quantity: 1 }], "cancel-co");
    await deliver(a.events.map((e) => e.id));
    await h.deps.stripe.subscriptions.cancel(a.subscriptionId);
    await deliver([h.fake.store.events.at(-1)!.id]);
    expect(await licenseBySubscription(a.subscriptionId)).toMatchObject({
      state: "expired",
      stateReason: "SubscriptionCanceled",
    });

    const b = await h.buy([{ product: "starter", quantity: 1 }], "dunning-co");
    await deliver(b.events.map((e) => e.id));
    h.fake.store.cancelSubscription(b.subscriptionId, "payment_failed");
    await deliver([h.fake.store.events.at(-1)!.id]);
    expect(await licenseBySubscription(b.subscriptionId)).toMatchObject({
      state: "revoked",
      stateReason: "PaymentFailed",
    });
  });

  it("charge.refunded revokes on a full refund and ignores a partial one", async () => {
    const purchase = await h.buy([{ product: "pro", quantity: 1 }], "refund-co");
    await deliver(purchase.events.map((e) => e.id));
    const charge = h.fake.store.chargesOf(purchase.subscriptionId)[0]!;
    expect(await deliver(h.fake.store.refundCharge(charge.id, 100).map((e) => e.id))).toEqual([
      "partial_refund",
    ]);
    expect((await licenseBySubscription(purchase.subscriptionId))!.state).toBe("active");
    expect(await deliver(h.fake.store.refundCharge(charge.id).map((e) => e.id))).toEqual(["processed"]);
    expect(await licenseBySubscription(purchase.subscriptionId)).toMatchObject({
      state: "revoked",
      stateReason: "Refunded",
    });
  });

  it("a refund delivered before the checkout completion still revokes (found by the ordering property)", async () => {
    const purchase = await h.buy([{ product: "pro", quantity: 1 }], "early-refund-co");
    const charge = h.fake.store.chargesOf(purchase.subscriptionId)[0]!;
    const refund = h.fake.store.refundCharge(charge.id);
    expect(await deliver(refund.map((e) => e.id))).toEqual(["no_license"]);
    await deliver(purchase.events.map((e) => e.id));
    expect(await licenseBySubscription(purchase.subscriptionId)).toMatchObject({
      state: "revoked",
      stateReason: "Refunded",
    });
  });

  it("acknowledges unknown event types without effect (but records them as seen)", async () => {
    const before = await counts();
    const res = await h.sendEvent({
      id: "evt_test_unknown_type",
      object: "event",
      type: "customer.tax_id.created",
      created: 1,
      data: { object: { id: "txi_1" } },
    });
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ outcome: "ignored" });
    const after = await counts();
    expect(after).toEqual({ ...before, events: before.events + 1 });
  });

  it("subscription events before fulfilment are acknowledged and lose nothing", async () => {
    const purchase = await h.buy([{ product: "enterprise", quantity: 2 }], "early-co");
    const created = purchase.events.find((e) => e.type === "customer.subscription.created")!;
    expect(await deliver([created.id])).toEqual(["before_fulfilment"]);
    await deliver(purchase.events.filter((e) => e.id !== created.id).map((e) => e.id));
    expect(await licenseBySubscription(purchase.subscriptionId)).toMatchObject({
      state: "active",
      tier: "enterprise",
      seats: 2,
    });
  });

  describe("rejects bad deliveries with a clear error and changes nothing", () => {
    const event = () => ({
      id: "evt_test_rejected",
      object: "event",
      type: "checkout.session.completed",
      created: 1,
      data: { object: { id: "cs_test_x" } },
    });

    it.each([
      ["a bad signature", { secret: "whsec_wrong" }, "invalid_signature"],
      [
        "a stale timestamp",
        { timestampSeconds: Math.floor(Date.parse("2026-06-01T00:00:00Z") / 1000) - 301 },
        "stale_signature",
      ],
      ["malformed JSON", { rawBody: '{"id": "evt_x", "type": ' }, "malformed_json"],
    ])("%s", async (_name, options, code) => {
      h.clock.set("2026-06-01T00:00:00Z");
      const before = await counts();
      const res = await h.sendEvent(event(), options);
      expect(res.status).toBe(400);
      expect(((await res.json()) as { error: { code: string } }).error.code).toBe(code);
      expect(await counts()).toEqual(before);
    });

    it("a signature dated in the future beyond the tolerance (issue 12 §8)", async () => {
      h.clock.set("2026-06-01T00:00:00Z");
      const now = Math.floor(Date.parse("2026-06-01T00:00:00Z") / 1000);
      const before = await counts();
      for (const ahead of [301, 1_000_000_000]) {
        const res = await h.sendEvent(event(), { timestampSeconds: now + ahead });
        expect(res.status).toBe(400);
        expect(((await res.json()) as { error: { code: string; message: string } }).error).toEqual({
          code: "stale_signature",
          message: `webhook timestamp is ${ahead} s in the future (more than 300 s; a clock or replay problem)`,
        });
      }
      expect(await counts()).toEqual(before);
      // Within the tolerance a clock a little ahead is fine (the event itself is then processed).
      const near = await h.sendEvent(
        { ...event(), id: "evt_test_near_future", type: "customer.tax_id.created" },
        { timestampSeconds: now + 299 },
      );
      expect(near.status).toBe(200);
    });

    // Issue 12 §7: authentic (correctly signed) but malformed envelopes never reach the ledger as a 500.
    it.each([
      ["created missing", { created: undefined }, "created"],
      ["created a string", { created: "yesterday" }, "created"],
      ["created beyond year 9999", { created: 1e15 }, "created"],
      ["created negative", { created: -1 }, "created"],
      ["an empty id", { id: "" }, "id"],
      ["NUL in the id", { id: "evt_\u0000x" }, "id"],
      ["NUL in the type", { type: "checkout.session.completed\u0000" }, "type"],
      ["a 100,000-character id", { id: `evt_${"x".repeat(100_000)}` }, "id"],
      ["no data.object", { data: {} }, "data.object"],
      ["an array", null, ""],
    ])("a signed event with %s", async (_name, change, field) => {
      h.clock.set("2026-06-01T00:00:00Z");
      const before = await counts();
      const body = change === null ? [event()] : { ...event(), ...change };
      const res = await h.sendEvent(body);
      expect(res.status).toBe(400);
      const error = ((await res.json()) as { error: { code: string; message: string } }).error;
      expect(error.code).toBe("invalid_event");
      expect(error.message).toContain(`webhook body is not a usable Stripe event: ${field}`);
      expect(await counts()).toEqual(before);
    });

    it("a missing signature header", async () => {
      const res = await fetch(`${h.url}/v1/webhooks/stripe`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify(event()),
      });
      expect(res.status).toBe(400);
      expect(await res.json()).toEqual({
        error: { code: "missing_signature", message: "the Stripe-Signature header is required" },
      });
    });

    it("a checkout of a product not in the catalog", async () => {
      h.fake.store.prices.set("price_someone_elses", {
        id: "price_someone_elses",
        object: "price",
        unit_amount: 500,
        recurring: { interval: "month" },
      });
      const session = h.fake.store.createCheckoutSession({
        mode: "subscription",
        line_items: [{ price: "price_someone_elses", quantity: "1" }],
        metadata: { organization: "acme" },
      });
      const { events } = h.fake.store.completeCheckout(session.id);
      const before = await counts();
      const completed = events.find((e) => e.type === "checkout.session.completed")!;
      const res = await h.sendEvent(completed);
      expect(res.status).toBe(200);
      expect(await res.json()).toMatchObject({
        outcome: "unknown_product",
        message: expect.stringContaining("price_someone_elses"),
      });
      const after = await counts();
      expect(after.licenses).toBe(before.licenses);
      expect(after.audits).toBe(before.audits);
      const success = await fetch(`${h.url}/v1/checkout/success?session_id=${session.id}`);
      expect(success.status).toBe(422);
      expect(((await success.json()) as { error: { code: string; message: string } }).error).toMatchObject({
        code: "unknown_product",
        message: expect.stringContaining("price_someone_elses"),
      });
    });
  });
});
