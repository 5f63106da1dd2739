/**
 * Issue 12 §4: a hung Stripe. Every Stripe call has a timeout and a bounded number of retries
 * (STRIPE_TIMEOUT_SECONDS, STRIPE_MAX_NETWORK_RETRIES); checkout and the success page then answer 503 with
 * Retry-After instead of holding the customer for the SDK's 80 s per attempt.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type BillingHarness, startBillingHarness } from "../testing/harness.js";

describe("checkout with a hung Stripe", () => {
  let h: BillingHarness;
  beforeAll(async () => {
    h = await startBillingHarness({ env: { STRIPE_TIMEOUT_SECONDS: "1", STRIPE_MAX_NETWORK_RETRIES: "1" } });
  });
  afterAll(() => h.stop());

  const checkout = () =>
    fetch(`${h.url}/v1/checkout`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({
        organization: "hung-co",
        customerEmail: "ops@hung.test",
        items: [{ product: "pro", quantity: 1 }],
      }),
    });

  it("POST /v1/checkout: 503 with Retry-After after one retry, nothing created", async () => {
    h.fake.setFault({ kind: "hang" });
    const res = await checkout();
    expect(res.status).toBe(503);
    expect(res.headers.get("retry-after")).toBe("5");
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe(
      "payment_provider_unavailable",
    );
    // The first call (create the customer) was tried twice, and checkout stopped there.
    expect(h.fake.faultedRequests()).toBe(2);
    expect(h.fake.store.sessions.size).toBe(0);
  }, 20_000);

  it("GET /v1/checkout/success: 503 with Retry-After, no license", async () => {
    h.fake.setFault({ kind: "hang", path: "^/v1/checkout/sessions" });
    const res = await fetch(`${h.url}/v1/checkout/success?session_id=cs_test_hung`);
    expect(res.status).toBe(503);
    expect(res.headers.get("retry-after")).toBe("5");
    expect(h.fake.faultedRequests()).toBe(2);
    expect((await h.pool.query("SELECT count(*)::int AS n FROM licenses")).rows[0].n).toBe(0);
  }, 20_000);

  it("works again once Stripe answers", async () => {
    h.fake.setFault(undefined);
    expect((await checkout()).status).toBe(201);
  });
});
