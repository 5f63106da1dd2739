/**
 * Billing's metrics as a scraper reads them from /metrics: webhook outcomes of a normal purchase, the
 * scrape-time gauges read from PostgreSQL, seat refusals by reason.
 */
import pg from "pg";
import { Registry } from "prom-client";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ManualClock } from "../../lib/clock.js";
import { parsePrometheusText, sampleValue } from "../../test-support/prometheus.js";
import { type SessionsHarness, startSessionsHarness } from "../sessions/test-harness.js";
import { type BillingHarness, eventsById, startBillingHarness } from "../testing/harness.js";
import { registerStateMetrics } from "./state-metrics.js";

describe("webhook outcome metrics", () => {
  let h: BillingHarness;
  beforeAll(async () => {
    h = await startBillingHarness();
  });
  afterAll(() => h.stop());

  it("a normal purchase, delivered in Stripe's order, records no no_license outcome", async () => {
    const purchase = await h.buy([{ product: "pro", quantity: 1 }]);
    const types: string[] = [];
    for (const event of eventsById(
      h.fake,
      purchase.events.map((e) => e.id),
    )) {
      expect((await h.sendEvent(event)).status).toBe(200);
      types.push(String(event.type));
    }
    // The order Stripe (and the fake) sends: the subscription and invoice precede the checkout session.
    expect(types.indexOf("checkout.session.completed")).toBeGreaterThan(0);
    const samples = parsePrometheusText(await (await fetch(`${h.url}/metrics`)).text());
    const outcomes = samples.filter((s) => s.name === "billing_stripe_webhook_events_total");
    expect(outcomes.filter((s) => s.labels.outcome === "no_license")).toEqual([]);
    expect(
      sampleValue(samples, "billing_stripe_webhook_events_total", {
        type: "checkout.session.completed",
        outcome: "processed",
      }),
    ).toBe(1);
    expect(outcomes.filter((s) => s.labels.outcome === "before_fulfilment").length).toBeGreaterThan(0);
    // The license now exists and /metrics reads it from Postgres.
    expect(sampleValue(samples, "billing_licenses", { state: "active" })).toBe(1);
    expect(sampleValue(samples, "billing_licenses", { state: "revoked" })).toBe(0);
    expect(sampleValue(samples, "billing_database_up")).toBe(1);
  });
});

describe("seat refusals and session gauges", () => {
  const clock = new ManualClock("2026-03-01T12:00:00Z");
  let h: SessionsHarness;
  beforeAll(async () => {
    h = await startSessionsHarness(clock, {}, "billing_metrics");
    registerStateMetrics(h.deps.metrics, h.pool, clock);
  });
  afterAll(() => h.close());
  const scrape = async () => parsePrometheusText(await h.deps.metrics.metrics());
  const validate = (licenseKey: string, containerId: string) =>
    h.post("/v1/sessions/validate", { licenseKey, containerId, containerType: "docker" });

  it("refusals are zero-initialised, then counted by the reason answered", async () => {
    const before = await scrape();
    for (const reason of ["seat_limit_reached", "license_revoked", "license_invalid"]) {
      expect(sampleValue(before, "billing_seat_refusals_total", { reason })).toBe(0);
    }
    const license = await h.createLicense("starter", { maxContainers: 1 });
    expect((await validate(license.key, "box-1")).status).toBe(201);
    expect((await validate(license.key, "box-2")).status).toBe(429);
    expect((await validate("CODITECT-NOT-A-KEY-0000", "box-3")).status).toBe(403);
    let samples = await scrape();
    expect(sampleValue(samples, "billing_seat_refusals_total", { reason: "seat_limit_reached" })).toBe(1);
    expect(sampleValue(samples, "billing_seat_refusals_total", { reason: "license_invalid" })).toBe(1);
    expect(sampleValue(samples, "billing_active_sessions")).toBe(1);
    expect(sampleValue(samples, "billing_licenses", { state: "active" })).toBe(1);

    await h.revokeLicense(license.id);
    expect((await validate(license.key, "box-1")).status).toBe(403);
    samples = await scrape();
    expect(sampleValue(samples, "billing_seat_refusals_total", { reason: "license_revoked" })).toBe(1);
    expect(sampleValue(samples, "billing_licenses", { state: "revoked" })).toBe(1);
    expect(sampleValue(samples, "billing_licenses", { state: "active" })).toBe(0);
  });

  it("reports the most sessions one license lost to termination in the last 10 minutes", async () => {
    const license = await h.createLicense("pro", { maxContainers: 5, seats: 5 });
    for (const box of ["a", "b", "c"]) expect((await validate(license.key, `mass-${box}`)).status).toBe(201);
    clock.advance(1000);
    await h.pool.query(
      "UPDATE container_sessions SET state = 'terminated', reason = 'LicenseRevoked', ended_at = $2 WHERE license_id = $1",
      [license.id, clock.now()],
    );
    expect(sampleValue(await scrape(), "billing_license_sessions_terminated_recent_max")).toBe(3);
    clock.advance(11 * 60 * 1000);
    expect(sampleValue(await scrape(), "billing_license_sessions_terminated_recent_max")).toBe(0);
  });

  it("an unreachable database reports billing_database_up 0 and no stale license counts", async () => {
    const registry = new Registry();
    const dead = new pg.Pool({ connectionString: "postgres://nobody@127.0.0.1:9/none", max: 1 });
    const errors: unknown[] = [];
    registerStateMetrics(registry, dead, clock, (e) => errors.push(e));
    // Two scrapes at once share one read of the database (one error, not one per gauge).
    const [text] = await Promise.all([registry.metrics(), registry.metrics()]);
    const samples = parsePrometheusText(text);
    expect(sampleValue(samples, "billing_database_up")).toBe(0);
    expect(samples.filter((s) => s.name === "billing_licenses")).toEqual([]);
    expect(errors).toHaveLength(1);
    await dead.end();
  });
});
