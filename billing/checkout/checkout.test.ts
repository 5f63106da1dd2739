import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type BillingHarness, startBillingHarness } from "../testing/harness.js";

describe("checkout", () => {
  let h: BillingHarness;
  beforeAll(async () => {
    h = await startBillingHarness();
  });
  afterAll(() => h.stop());

  const post = (body: unknown, headers: Record<string, string> = {}) =>
    fetch(`${h.url}/v1/checkout`, {
      method: "POST",
      headers: { "content-type": "application/json", ...headers },
      body: typeof body === "string" ? body : JSON.stringify(body),
    });
  const valid = {
    organization: "acme",
    customerEmail: "dev@acme.test",
    items: [{ product: "pro", quantity: 2 }],
  };

  it("lists the catalog with the configured price ids", async () => {
    const res = await fetch(`${h.url}/v1/products`);
    const { products } = (await res.json()) as {
      products: { product: string; priceId: string; kind: string }[];
    };
    expect(products.map((p) => [p.product, p.kind])).toEqual([
      ["starter", "license"],
      ["pro", "license"],
      ["enterprise", "license"],
      ["standard", "workstation"],
      ["power", "workstation"],
      ["ai", "workstation"],
    ]);
    expect(products.find((p) => p.product === "ai")).toMatchObject({
      priceId: "price_fake_ai_monthly",
      monthlyPriceUsdCents: 39_900,
    });
  });

  it("creates a subscription-mode Checkout Session with the catalog prices and returns its URL", async () => {
    const res = await post({ ...valid, items: [...valid.items, { product: "standard", quantity: 1 }] });
    expect(res.status).toBe(201);
    const body = (await res.json()) as { checkoutSessionId: string; url: string };
    expect(body.url).toBe(`${h.fake.url}/_fake/checkout/${body.checkoutSessionId}`);
    const session = h.fake.store.sessions.get(body.checkoutSessionId)!;
    expect(session).toMatchObject({
      mode: "subscription",
      metadata: { organization: "acme" },
      success_url: "http://billing.test/v1/checkout/success?session_id={CHECKOUT_SESSION_ID}",
    });
    expect(session.line_items_data.map((li) => [(li.price as { id: string }).id, li.quantity])).toEqual([
      ["price_fake_pro_monthly", 2],
      ["price_fake_standard_monthly", 1],
    ]);
  });

  it("replays the same session for a retried request with the same Idempotency-Key", async () => {
    const first = (await (await post(valid, { "idempotency-key": "order-123456" })).json()) as {
      checkoutSessionId: string;
    };
    const second = (await (await post(valid, { "idempotency-key": "order-123456" })).json()) as {
      checkoutSessionId: string;
    };
    expect(second.checkoutSessionId).toBe(first.checkoutSessionId);
    const other = await post({ ...valid, organization: "other" }, { "idempotency-key": "order-123456" });
    expect(other.status).toBe(409);
    expect(((await other.json()) as { error: { code: string } }).error.code).toBe("idempotency_key_reused");
  });

  it.each([
    [
      "an unknown product",
      { ...valid, items: [{ product: "platinum", quantity: 1 }] },
      "unknown_product",
      /platinum/,
    ],
    [
      "no license product",
      { ...valid, items: [{ product: "power", quantity: 1 }] },
      "invalid_request",
      /exactly one license/,
    ],
    [
      "two license products",
      {
        ...valid,
        items: [
          { product: "pro", quantity: 1 },
          { product: "starter", quantity: 1 },
        ],
      },
      "invalid_request",
      /exactly one license/,
    ],
    [
      "a zero quantity",
      { ...valid, items: [{ product: "pro", quantity: 0 }] },
      "invalid_request",
      /items\.0\.quantity/,
    ],
    ["a bad organization", { ...valid, organization: "Acme Corp" }, "invalid_request", /organization/],
    ["a bad email", { ...valid, customerEmail: "not-an-email" }, "invalid_request", /customerEmail/],
    ["an extra field", { ...valid, coupon: "FREE" }, "invalid_request", /coupon/],
    ["malformed JSON", '{"organization": ', "malformed_json", /not valid JSON/],
  ])("rejects %s with a clear 400 and creates nothing", async (_name, body, code, message) => {
    const sessionsBefore = h.fake.store.sessions.size;
    const res = await post(body);
    expect(res.status).toBe(400);
    const { error } = (await res.json()) as { error: { code: string; message: string } };
    expect(error.code).toBe(code);
    expect(error.message).toMatch(message);
    expect(h.fake.store.sessions.size).toBe(sessionsBefore);
  });

  it("answers clearly for an unpaid, unknown or malformed session id", async () => {
    const open = (await (await post(valid)).json()) as { checkoutSessionId: string };
    const unpaid = await fetch(`${h.url}/v1/checkout/success?session_id=${open.checkoutSessionId}`);
    expect(unpaid.status).toBe(409);
    expect(((await unpaid.json()) as { error: { code: string } }).error.code).toBe("checkout_incomplete");
    const unknown = await fetch(`${h.url}/v1/checkout/success?session_id=cs_test_doesnotexist`);
    expect(unknown.status).toBe(404);
    expect(((await unknown.json()) as { error: { code: string } }).error.code).toBe(
      "checkout_session_not_found",
    );
    const malformed = await fetch(`${h.url}/v1/checkout/success?session_id=pi_123`);
    expect(malformed.status).toBe(400);
    expect(((await malformed.json()) as { error: { message: string } }).error.message).toMatch(/session_id/);
    expect(
      (
        await h.pool.query("SELECT count(*)::int AS n FROM licenses WHERE stripe_checkout_session_id = $1", [
          open.checkoutSessionId,
        ])
      ).rows[0].n,
    ).toBe(0);
  });
});
