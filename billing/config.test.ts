import { describe, expect, it } from "vitest";
import { ConfigError, DEFAULT_PRICE_IDS, loadConfig } from "./config.js";

const base = {
  STRIPE_SECRET_KEY: "sk_test_123",
  STRIPE_WEBHOOK_SECRET: "whsec_123",
  ADMIN_TOKEN: "t".repeat(32),
};

describe("loadConfig", () => {
  it("applies defaults", () => {
    const config = loadConfig(base);
    expect(config).toMatchObject({
      port: 8080,
      databaseUrl: undefined,
      pgliteDir: ".data/pglite",
      stripeApiUrl: undefined,
      kubeconfig: undefined,
      publicBaseUrl: "http://localhost:8080",
      paymentGraceMs: 7 * 24 * 60 * 60 * 1000,
      resyncIntervalMs: 300_000,
      priceIds: DEFAULT_PRICE_IDS,
    });
  });

  it("reads overrides, including per-product Stripe price ids", () => {
    const config = loadConfig({
      ...base,
      PORT: "9000",
      DATABASE_URL: "postgres://u@db:5432/billing",
      STRIPE_API_URL: "http://127.0.0.1:12111",
      STRIPE_PRICE_PRO: "price_live_pro",
      PAYMENT_GRACE_DAYS: "3",
      PUBLIC_BASE_URL: "https://billing.example.com/",
    });
    expect(config).toMatchObject({
      port: 9000,
      databaseUrl: "postgres://u@db:5432/billing",
      stripeApiUrl: "http://127.0.0.1:12111",
      publicBaseUrl: "https://billing.example.com",
      paymentGraceMs: 3 * 24 * 60 * 60 * 1000,
    });
    expect(config.priceIds.pro).toBe("price_live_pro");
    expect(config.priceIds.starter).toBe(DEFAULT_PRICE_IDS.starter);
  });

  it.each([
    [
      "missing secrets",
      {},
      /STRIPE_SECRET_KEY: is required.*STRIPE_WEBHOOK_SECRET: is required.*ADMIN_TOKEN: is required/,
    ],
    ["a short admin token", { ...base, ADMIN_TOKEN: "short" }, /ADMIN_TOKEN: must be at least 32 characters/],
    [
      "a publishable key as secret key",
      { ...base, STRIPE_SECRET_KEY: "pk_test_1" },
      /STRIPE_SECRET_KEY: must look like sk_test_/,
    ],
    ["a port out of range", { ...base, PORT: "70000" }, /PORT/],
    [
      "a non-postgres DATABASE_URL",
      { ...base, DATABASE_URL: "mysql://x" },
      /DATABASE_URL: must be a postgres:\/\//,
    ],
    [
      "a bad STRIPE_API_URL",
      { ...base, STRIPE_API_URL: "localhost" },
      /STRIPE_API_URL: must be an absolute URL/,
    ],
    [
      "two products sharing a price",
      { ...base, STRIPE_PRICE_PRO: "price_x", STRIPE_PRICE_AI: "price_x" },
      /distinct/,
    ],
  ])("rejects %s naming the variable", (_name, env, message) => {
    expect(() => loadConfig(env)).toThrow(ConfigError);
    expect(() => loadConfig(env)).toThrow(message);
  });
});
