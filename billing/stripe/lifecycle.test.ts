/**
 * The subscription lifecycle (issue 16 §2) through the real app, real PostgreSQL and the real Stripe SDK
 * against the fake Stripe, with webhooks signed as Stripe signs them. Each event's effect is read from
 * Stripe's current state (refetched), so replays with new ids change nothing more.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type BillingHarness, eventsById, startBillingHarness } from "../testing/harness.js";

const DAY = 24 * 60 * 60 * 1000;

describe("Stripe subscription lifecycle", () => {
  let h: BillingHarness;
  beforeAll(async () => {
    h = await startBillingHarness();
  });
  afterAll(() => h.stop());

  const deliver = async (ids: string[]) => {
    const outcomes: string[] = [];
    for (const event of eventsById(h.fake, ids)) {
      const res = await h.sendEvent(event);
      expect(res.status).toBe(200);
      outcomes.push(((await res.json()) as { outcome: string }).outcome);
    }
    return outcomes;
  };
  /** The last event the fake emitted, delivered again under a new id (a replay Stripe could send). */
  const replayLast = async () => {
    const event = h.fake.store.events.at(-1)!;
    const res = await h.sendEvent({ ...event, id: `${event.id}_replay` });
    expect(res.status).toBe(200);
  };
  const buy = async (
    items: { product: string; quantity: number }[],
    org: string,
    email = `owner@${org}.test`,
  ) => {
    const purchase = await h.buy(items, org, email);
    await deliver(purchase.events.map((e) => e.id));
    const license = await h.pool.query("SELECT * FROM licenses WHERE stripe_subscription_id = $1", [
      purchase.subscriptionId,
    ]);
    return { ...purchase, license: license.rows[0] as { id: string; tier: string; state: string } };
  };
  const license = async (id: string) =>
    (await h.pool.query("SELECT * FROM licenses WHERE id = $1", [id])).rows[0] as {
      tier: string;
      state: string;
      state_reason: string;
      seats: number;
      max_containers: number | null;
    };
  const workstations = async (licenseId: string) =>
    (
      await h.pool.query(
        `SELECT w.name, w.assignee_user_id, u.email AS assignee, w.removal_requested_at, w.delete_after, w.desired_state
           FROM provisioned_workstations w LEFT JOIN users u ON u.id = w.assignee_user_id
          WHERE license_id = $1 ORDER BY w.created_at, w.name`,
        [licenseId],
      )
    ).rows as {
      name: string;
      assignee: string | null;
      removal_requested_at: Date | null;
      delete_after: Date | null;
      desired_state: string;
    }[];
  const mails = async (kind: string, licenseId?: string) =>
    (
      await h.pool.query(
        "SELECT recipient, data FROM notification_outbox WHERE kind = $1 AND ($2::uuid IS NULL OR license_id = $2::uuid) ORDER BY id",
        [kind, licenseId ?? null],
      )
    ).rows as { recipient: string; data: Record<string, string> }[];
  const audits = async (licenseId: string, action: string) =>
    (
      await h.pool.query(
        "SELECT actor, details FROM audit_events WHERE license_id = $1 AND action = $2 ORDER BY id",
        [licenseId, action],
      )
    ).rows as { actor: string; details: Record<string, unknown> }[];
  const items = (subscriptionId: string) =>
    (
      h.fake.store.subscriptions.get(subscriptionId)!.items as {
        data: { id: string; price: { id: string } }[];
      }
    ).data;

  it("fulfilment makes the buyer a user and the owner of the new organization; the bought workstations start with them", async () => {
    const { license: lic } = await buy(
      [
        { product: "pro", quantity: 3 },
        { product: "standard", quantity: 2 },
      ],
      "owned-co",
      "Buyer@Owned-Co.test",
    );
    const owner = await h.pool.query(
      `SELECT o.slug, u.email, m.role FROM organizations o JOIN users u ON u.id = o.owner_user_id
         JOIN memberships m ON m.organization = o.slug AND m.user_id = u.id WHERE o.slug = 'owned-co'`,
    );
    expect(owner.rows).toEqual([{ slug: "owned-co", email: "buyer@owned-co.test", role: "owner" }]);
    expect((await workstations(lic.id)).map((w) => w.assignee)).toEqual([
      "buyer@owned-co.test",
      "buyer@owned-co.test",
    ]);
  });

  it("more workstations: new unassigned rows with the next index; a replay adds nothing", async () => {
    const p = await buy(
      [
        { product: "pro", quantity: 3 },
        { product: "standard", quantity: 2 },
      ],
      "grow-co",
    );
    const item = items(p.subscriptionId).find((i) => i.price.id === "price_fake_standard_monthly")!;
    await h.deps.stripe.subscriptions.update(p.subscriptionId, { items: [{ id: item.id, quantity: 4 }] });
    expect(await deliver([h.fake.store.events.at(-1)!.id])).toEqual(["processed"]);
    await replayLast();
    const rows = await workstations(p.license.id);
    expect(rows.map((w) => [w.name.split("-").at(-1), w.assignee])).toEqual([
      ["1", "owner@grow-co.test"],
      ["2", "owner@grow-co.test"],
      ["3", null],
      ["4", null],
    ]);
    expect(rows.every((w) => w.removal_requested_at === null)).toBe(true);
    expect(await audits(p.license.id, "workstation.added")).toHaveLength(4);
  });

  it("fewer workstations: unassigned ones first, then the newest; access removed and stopped now, deleted after 7 days; a raise within the grace restores", async () => {
    const p = await buy(
      [
        { product: "pro", quantity: 3 },
        { product: "standard", quantity: 2 },
      ],
      "shrink-co",
    );
    const item = items(p.subscriptionId).find((i) => i.price.id === "price_fake_standard_monthly")!;
    await h.deps.stripe.subscriptions.update(p.subscriptionId, { items: [{ id: item.id, quantity: 3 }] });
    await deliver([h.fake.store.events.at(-1)!.id]);
    h.clock.advance(60_000);
    const now = h.clock.now();
    await h.deps.stripe.subscriptions.update(p.subscriptionId, { items: [{ id: item.id, quantity: 1 }] });
    await deliver([h.fake.store.events.at(-1)!.id]);
    await replayLast();
    const rows = await workstations(p.license.id);
    const live = rows.filter((w) => w.removal_requested_at === null);
    const gone = rows.filter((w) => w.removal_requested_at !== null);
    expect(live.map((w) => w.name.split("-").at(-1))).toEqual(["1"]);
    expect(gone.map((w) => w.name.split("-").at(-1)).sort()).toEqual(["2", "3"]);
    for (const w of gone) {
      expect(w).toMatchObject({ assignee: null, desired_state: "Stopped", removal_requested_at: now });
      expect(w.delete_after).toEqual(new Date(now.getTime() + 7 * DAY));
    }
    // Only the assigned one (index 2) had someone to tell, once.
    const removedMail = await mails("workstation_removed", p.license.id);
    expect(removedMail).toEqual([
      {
        recipient: "owner@shrink-co.test",
        data: expect.objectContaining({ workstation: gone.find((w) => w.name.endsWith("-2"))!.name }),
      },
    ]);
    const removedAudit = await audits(p.license.id, "workstation.removed");
    expect(removedAudit.map((a) => a.details.formerAssignee).sort()).toEqual([null, "owner@shrink-co.test"]);

    await h.deps.stripe.subscriptions.update(p.subscriptionId, { items: [{ id: item.id, quantity: 2 }] });
    await deliver([h.fake.store.events.at(-1)!.id]);
    const after = await workstations(p.license.id);
    expect(after.filter((w) => w.removal_requested_at === null)).toHaveLength(2);
    expect(after).toHaveLength(3); // restored, not a fourth one
    expect(await audits(p.license.id, "workstation.restored")).toHaveLength(1);
  });

  it("a plan change moves tier, seats and maxContainers together and is audited as license.plan_changed", async () => {
    const p = await buy([{ product: "pro", quantity: 5 }], "plan-co");
    expect(await license(p.license.id)).toMatchObject({ tier: "pro", seats: 5, max_containers: 5 });
    const item = items(p.subscriptionId)[0]!;
    await h.deps.stripe.subscriptions.update(p.subscriptionId, {
      items: [{ id: item.id, price: "price_fake_starter_monthly", quantity: 2 }],
    });
    await deliver([h.fake.store.events.at(-1)!.id]);
    expect(await license(p.license.id)).toMatchObject({
      tier: "starter",
      seats: 2,
      max_containers: 1,
      state: "active",
    });
    const changes = await audits(p.license.id, "license.plan_changed");
    expect(changes).toHaveLength(1);
    expect(changes[0]!.details).toMatchObject({ from: "pro", to: "starter" });
    expect(changes[0]!.actor).toMatch(/^stripe:evt_/);

    await h.deps.stripe.subscriptions.update(p.subscriptionId, {
      items: [{ id: item.id, price: "price_fake_enterprise_monthly" }],
    });
    await deliver([h.fake.store.events.at(-1)!.id]);
    expect(await license(p.license.id)).toMatchObject({ tier: "enterprise", max_containers: null });
  });

  it("charge.dispute.created suspends while open; closed won restores, lost revokes; the emails go once", async () => {
    const won = await buy([{ product: "pro", quantity: 1 }], "dispute-won-co");
    const charge = h.fake.store.chargesOf(won.subscriptionId)[0]!;
    await deliver(h.fake.store.disputeCharge(charge.id).map((e) => e.id));
    await replayLast();
    expect(await license(won.license.id)).toMatchObject({
      state: "suspended",
      state_reason: "PaymentDisputed",
    });
    expect(await mails("dispute_opened", won.license.id)).toHaveLength(1);
    const disputeId = [...h.fake.store.disputes.values()].find((d) => d.charge === charge.id)!.id;
    await deliver(h.fake.store.closeDispute(disputeId, "won").map((e) => e.id));
    expect(await license(won.license.id)).toMatchObject({ state: "active", state_reason: "Paid" });
    expect((await mails("dispute_closed", won.license.id)).map((m) => m.data.won)).toEqual(["yes"]);
    // The `created` event delivered again after the close (a new id): the dispute is refetched, still won.
    const created = h.fake.store.events.find(
      (e) =>
        e.type === "charge.dispute.created" && (e.data as { object: { id: string } }).object.id === disputeId,
    )!;
    await h.sendEvent({ ...created, id: `${created.id}_late` });
    expect((await license(won.license.id)).state).toBe("active");

    const lost = await buy([{ product: "pro", quantity: 1 }], "dispute-lost-co");
    const lostCharge = h.fake.store.chargesOf(lost.subscriptionId)[0]!;
    await deliver(h.fake.store.disputeCharge(lostCharge.id).map((e) => e.id));
    const lostId = [...h.fake.store.disputes.values()].find((d) => d.charge === lostCharge.id)!.id;
    await deliver(h.fake.store.closeDispute(lostId, "lost").map((e) => e.id));
    expect(await license(lost.license.id)).toMatchObject({ state: "revoked", state_reason: "DisputeLost" });
    expect((await mails("dispute_closed", lost.license.id)).map((m) => m.data.won)).toEqual(["no"]);
  });

  it("an inquiry (warning_needs_response) changes nothing", async () => {
    const p = await buy([{ product: "pro", quantity: 1 }], "inquiry-co");
    const charge = h.fake.store.chargesOf(p.subscriptionId)[0]!;
    expect(
      await deliver(h.fake.store.disputeCharge(charge.id, "warning_needs_response").map((e) => e.id)),
    ).toEqual(["ignored"]);
    expect((await license(p.license.id)).state).toBe("active");
  });

  it("checkout.session.expired removes the pending reveal nonce and nothing else; a session still open is left alone", async () => {
    const create = async (organization: string) => {
      const res = await fetch(`${h.url}/v1/checkout`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({
          organization,
          customerEmail: `x@${organization}.test`,
          items: [{ product: "starter", quantity: 1 }],
        }),
      });
      expect(res.status).toBe(201);
      return ((await res.json()) as { checkoutSessionId: string }).checkoutSessionId;
    };
    const nonce = async (id: string) =>
      (await h.pool.query("SELECT 1 FROM checkout_reveal_nonces WHERE checkout_session_id = $1", [id]))
        .rowCount;
    const abandoned = await create("abandoned-co");
    const open = await create("still-open-co");
    const before = (await h.pool.query("SELECT count(*)::int AS n FROM licenses")).rows[0].n;
    await h.deps.stripe.checkout.sessions.expire(abandoned);
    expect(await deliver([h.fake.store.events.at(-1)!.id])).toEqual(["processed"]);
    expect(await nonce(abandoned)).toBe(0);
    // A signed event naming an open session (never trust the payload): refetched, still open, kept.
    const forged = {
      ...h.fake.store.events.at(-1)!,
      id: "evt_test_expired_but_open",
      data: { object: { id: open } },
    };
    const res = await h.sendEvent(forged);
    expect(await res.json()).toMatchObject({ outcome: "ignored" });
    expect(await nonce(open)).toBe(1);
    expect((await h.pool.query("SELECT count(*)::int AS n FROM licenses")).rows[0].n).toBe(before);
  });

  it("customer.subscription.trial_will_end mails the trial's end once", async () => {
    const p = await buy([{ product: "pro", quantity: 1 }], "trial-co");
    await deliver(h.fake.store.trialWillEnd(p.subscriptionId, 3).map((e) => e.id));
    await replayLast();
    const sent = await mails("trial_ending", p.license.id);
    expect(sent).toEqual([
      {
        recipient: "owner@trial-co.test",
        data: expect.objectContaining({
          trialEndsAt: new Date(h.clock.now().getTime() + 3 * DAY).toISOString(),
          accountUrl: "http://billing.test/account/",
        }),
      },
    ]);
    expect((await license(p.license.id)).state_reason).toBe("Trialing");
  });

  it("invoice.payment_action_required mails the hosted invoice URL once; the payment counts as failed", async () => {
    const p = await buy([{ product: "pro", quantity: 1 }], "sca-co");
    const events = h.fake.store.requirePaymentAction(p.subscriptionId);
    await deliver(events.map((e) => e.id));
    await h.sendEvent({ ...eventsById(h.fake, [events[0]!.id])[0]!, id: `${events[0]!.id}_replay` });
    const invoice = (events[0]!.data as { object: { id: string } }).object.id;
    expect(await mails("payment_action_required", p.license.id)).toEqual([
      {
        recipient: "owner@sca-co.test",
        data: expect.objectContaining({ invoiceUrl: `${h.fake.url}/_fake/invoices/${invoice}` }),
      },
    ]);
    expect(await license(p.license.id)).toMatchObject({ state: "pastDue" });
  });

  it("the failed-payment rule: the third failed attempt suspends within the grace period", async () => {
    const p = await buy([{ product: "pro", quantity: 1 }], "three-strikes-co");
    for (const expected of ["pastDue", "pastDue", "suspended"]) {
      await deliver(h.fake.store.failPayment(p.subscriptionId).map((e) => e.id));
      expect((await license(p.license.id)).state).toBe(expected);
    }
    expect((await license(p.license.id)).state_reason).toBe("PaymentAttemptsExhausted");
    // One "access continues until…" mail for the invoice (its retries are the same invoice), then one
    // saying access has ended.
    expect(await mails("payment_failed", p.license.id)).toHaveLength(1);
    expect(await mails("payment_suspended", p.license.id)).toEqual([
      { recipient: "owner@three-strikes-co.test", data: expect.objectContaining({ attempts: 3 }) },
    ]);
    // A successful retry restores it.
    await deliver(h.fake.store.payInvoice(p.subscriptionId).map((e) => e.id));
    expect(await license(p.license.id)).toMatchObject({ state: "active", state_reason: "Paid" });
  });
});
