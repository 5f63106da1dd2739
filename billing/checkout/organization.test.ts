/**
 * ADR 0240: an unauthenticated checkout may only start a NEW organization. An existing slug is refused
 * before anything is created at Stripe (409 organization_exists), and a slug taken by someone else while a
 * checkout was open is not fulfilled into (outcome organization_taken; the success page answers 409).
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type BillingHarness, eventsById, startBillingHarness } from "../testing/harness.js";

describe("checkout and existing organizations", () => {
  let h: BillingHarness;
  beforeAll(async () => {
    h = await startBillingHarness();
  });
  afterAll(() => h.stop());

  const checkout = (organization: string, email = `buyer@${organization}.test`) =>
    fetch(`${h.url}/v1/checkout`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({
        organization,
        customerEmail: email,
        items: [
          { product: "pro", quantity: 1 },
          { product: "standard", quantity: 1 },
        ],
      }),
    });
  const complete = async (sessionId: string) => {
    const { events } = h.fake.store.completeCheckout(sessionId);
    const completed = eventsById(h.fake, [
      events.find((e) => e.type === "checkout.session.completed")!.id,
    ])[0]!;
    return (await (await h.sendEvent(completed)).json()) as { outcome: string; message?: string };
  };
  const counts = async () =>
    (
      await h.pool.query(
        `SELECT (SELECT count(*) FROM licenses)::int AS licenses,
                (SELECT count(*) FROM provisioned_workstations)::int AS workstations`,
      )
    ).rows[0];

  it("refuses a checkout for an organization that exists, before calling Stripe", async () => {
    await h.buy([{ product: "starter", quantity: 1 }], "taken-co", "first@taken-co.test").then(async (p) => {
      for (const e of eventsById(
        h.fake,
        p.events.map((x) => x.id),
      ))
        await h.sendEvent(e);
    });
    const sessionsBefore = h.fake.store.sessions.size;
    const customersBefore = h.fake.store.customers.size;
    for (const email of ["attacker@evil.test", "first@taken-co.test"]) {
      const res = await checkout("taken-co", email);
      expect(res.status).toBe(409);
      const { error } = (await res.json()) as { error: { code: string; message: string } };
      expect(error.code).toBe("organization_exists");
      expect(error.message).toContain('organization "taken-co" already exists');
      expect(error.message).toContain("http://billing.test/account/");
    }
    expect(h.fake.store.sessions.size).toBe(sessionsBefore);
    expect(h.fake.store.customers.size).toBe(customersBefore);
  });

  it("refuses an organization that only has admin-granted licenses", async () => {
    const res = await h.admin("POST", "/licenses", {
      organization: "granted-co",
      customerEmail: "ops@granted-co.test",
      tier: "pro",
      provisioningType: "pilot",
      durationDays: 30,
    });
    expect(res.status).toBe(201);
    const refused = await checkout("granted-co");
    expect(refused.status).toBe(409);
    expect(((await refused.json()) as { error: { code: string } }).error.code).toBe("organization_exists");
  });

  it("a slug taken by another buyer while the checkout was open is not fulfilled into", async () => {
    const first = (await (await checkout("race-co", "alice@race.test")).json()) as {
      checkoutSessionId: string;
    };
    const second = (await (await checkout("race-co", "mallory@evil.test")).json()) as {
      checkoutSessionId: string;
    };
    expect(await complete(first.checkoutSessionId)).toMatchObject({ outcome: "processed" });
    const before = await counts();
    const outcome = await complete(second.checkoutSessionId);
    expect(outcome).toMatchObject({ outcome: "organization_taken" });
    expect(outcome.message).toContain('organization "race-co" was created by another customer');
    expect(await counts()).toEqual(before);
    const success = await fetch(`${h.url}/v1/checkout/success?session_id=${second.checkoutSessionId}`);
    expect(success.status).toBe(409);
    expect(((await success.json()) as { error: { code: string } }).error.code).toBe("organization_exists");
    const members = await h.pool.query(
      "SELECT u.email, m.role FROM memberships m JOIN users u ON u.id = m.user_id WHERE organization = 'race-co'",
    );
    expect(members.rows).toEqual([{ email: "alice@race.test", role: "owner" }]);
  });

  it("the same buyer's two open checkouts for one new organization are both fulfilled (they own it)", async () => {
    const a = (await (await checkout("twice-co", "bob@twice.test")).json()) as { checkoutSessionId: string };
    const b = (await (await checkout("twice-co", "bob@twice.test")).json()) as { checkoutSessionId: string };
    expect(await complete(a.checkoutSessionId)).toMatchObject({ outcome: "processed" });
    expect(await complete(b.checkoutSessionId)).toMatchObject({ outcome: "processed" });
    const licenses = await h.pool.query(
      "SELECT count(*)::int AS n FROM licenses WHERE organization = 'twice-co'",
    );
    expect(licenses.rows[0].n).toBe(2);
  });

  it("the success page fulfils too, with the same ownership", async () => {
    const c = (await (await checkout("redirect-co", "carol@redirect.test")).json()) as {
      checkoutSessionId: string;
    };
    h.fake.store.completeCheckout(c.checkoutSessionId);
    const res = await fetch(`${h.url}/v1/checkout/success?session_id=${c.checkoutSessionId}`);
    expect(res.status).toBe(200);
    const owner = await h.pool.query(
      "SELECT u.email FROM organizations o JOIN users u ON u.id = o.owner_user_id WHERE o.slug = 'redirect-co'",
    );
    expect(owner.rows).toEqual([{ email: "carol@redirect.test" }]);
  });
});
