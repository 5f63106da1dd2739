import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startMaintenance } from "../ops/maintenance.js";
import { type BillingHarness, startBillingHarness, TEST_ADMIN_EMAIL } from "../testing/harness.js";
import { refreshLicenseStates } from "./refresh.js";

const DAY = 24 * 60 * 60 * 1000;

describe("time-driven license states", () => {
  let h: BillingHarness;
  beforeAll(async () => {
    h = await startBillingHarness();
  });
  afterAll(() => h.stop());

  const state = async (id: string) =>
    (await h.pool.query("SELECT state, state_reason, expiring_soon FROM licenses WHERE id = $1", [id]))
      .rows[0];

  it("re-decides at the clock's now, writes only changes and audits them as system:clock", async () => {
    const res = await h.admin("POST", "/licenses", {
      organization: "clock-co",
      customerEmail: "a@clock.test",
      tier: "starter",
      provisioningType: "trial",
      durationDays: 10,
    });
    const { license } = (await res.json()) as { license: { id: string } };
    expect(await refreshLicenseStates(h.deps)).toEqual([]);

    h.clock.advance(4 * DAY);
    expect(await refreshLicenseStates(h.deps)).toEqual([license.id]);
    expect(await state(license.id)).toEqual({
      state: "active",
      state_reason: "AdminGranted",
      expiring_soon: true,
    });

    h.clock.advance(7 * DAY);
    const maintenance = startMaintenance(h.deps, 60_000);
    await maintenance.runOnce();
    await maintenance.stop();
    expect(await state(license.id)).toEqual({
      state: "expired",
      state_reason: "PeriodEnded",
      expiring_soon: false,
    });
    const audit = await h.pool.query(
      "SELECT actor, action, after->>'state' AS state FROM audit_events WHERE license_id = $1 ORDER BY id",
      [license.id],
    );
    expect(audit.rows).toEqual([
      { actor: TEST_ADMIN_EMAIL, action: "license.created", state: "active" },
      { actor: "system:clock", action: "license.state_refreshed", state: "active" },
      { actor: "system:clock", action: "license.state_refreshed", state: "expired" },
    ]);
  });

  it("moves a past-due license to suspended when the grace period ends", async () => {
    const purchase = await h.buy([{ product: "pro", quantity: 1 }], "grace-co");
    for (const id of purchase.events.map((e) => e.id)) {
      await h.sendEvent(h.fake.store.events.find((e) => e.id === id));
    }
    for (const event of h.fake.store.failPayment(purchase.subscriptionId)) await h.sendEvent(event);
    const { id } = (
      await h.pool.query("SELECT id FROM licenses WHERE stripe_subscription_id = $1", [
        purchase.subscriptionId,
      ])
    ).rows[0];
    expect((await state(id)).state).toBe("pastDue");
    h.clock.advance(8 * DAY);
    await refreshLicenseStates(h.deps);
    expect(await state(id)).toMatchObject({ state: "suspended", state_reason: "GracePeriodEnded" });
  });
});
