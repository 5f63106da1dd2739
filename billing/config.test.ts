import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
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

  describe("secrets delivered as files (<VAR>_FILE)", () => {
    const dir = mkdtempSync(join(tmpdir(), "billing-secrets-"));
    const file = (name: string, content: string) => {
      const path = join(dir, name);
      writeFileSync(path, content);
      return path;
    };

    it("reads each secret from its file, trimming the trailing newline", () => {
      const config = loadConfig({
        STRIPE_SECRET_KEY_FILE: file("stripe", "sk_live_fromfile\n"),
        STRIPE_WEBHOOK_SECRET_FILE: file("whsec", "whsec_fromfile\n"),
        ADMIN_TOKEN_FILE: file("admin", `${"a".repeat(40)}\n`),
      });
      expect(config.stripeSecretKey).toBe("sk_live_fromfile");
      expect(config.stripeWebhookSecret).toBe("whsec_fromfile");
      expect(config.adminToken).toBe("a".repeat(40));
    });

    it("puts DATABASE_PASSWORD_FILE's password into DATABASE_URL, URL-encoded", () => {
      const config = loadConfig({
        ...base,
        DATABASE_URL: "postgres://billing@10.0.0.3:5432/billing?sslmode=verify-ca",
        DATABASE_PASSWORD_FILE: file("dbpass", "p@ss/word\n"),
      });
      expect(config.databaseUrl).toBe(
        "postgres://billing:p%40ss%2Fword@10.0.0.3:5432/billing?sslmode=verify-ca",
      );
    });

    it("refuses a secret given both inline and as a file, and names an unreadable file", () => {
      expect(() => loadConfig({ ...base, ADMIN_TOKEN_FILE: file("admin2", "b".repeat(40)) })).toThrow(
        "set only one of ADMIN_TOKEN and ADMIN_TOKEN_FILE",
      );
      expect(() =>
        loadConfig({
          STRIPE_WEBHOOK_SECRET: "whsec_1",
          ADMIN_TOKEN: "t".repeat(32),
          STRIPE_SECRET_KEY_FILE: join(dir, "missing"),
        }),
      ).toThrow(/STRIPE_SECRET_KEY_FILE=.*missing cannot be read \(ENOENT\)/);
      expect(() => loadConfig({ ...base, DATABASE_PASSWORD_FILE: file("dbpass2", "x") })).toThrow(
        ConfigError,
      );
      expect(() =>
        loadConfig({
          ...base,
          DATABASE_URL: "postgres://u:inline@db/b",
          DATABASE_PASSWORD_FILE: file("dbpass3", "x"),
        }),
      ).toThrow("DATABASE_URL already carries a password");
    });
  });
});
