import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { FAKE_PRICE_IDS, fakeStripePriceEnv } from "../test-support/fake-stripe/index.js";
import { BILLING_ENV_VARIABLES, ConfigError, loadConfig } from "./config.js";

const base: Record<string, string> = {
  STRIPE_SECRET_KEY: "sk_test_123",
  STRIPE_WEBHOOK_SECRET: "whsec_123",
  ADMIN_TOKEN: "t".repeat(32),
  ...fakeStripePriceEnv(),
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
      priceIds: FAKE_PRICE_IDS,
      kubernetes: { kubeconfig: undefined, serviceHost: undefined, servicePort: undefined },
      workstationIdentity: undefined,
      sessionsHeartbeatIntervalMs: undefined,
      stripeTimeoutMs: 5_000,
      stripeMaxNetworkRetries: 1,
    });
  });

  it("bounds Stripe calls: STRIPE_TIMEOUT_SECONDS and STRIPE_MAX_NETWORK_RETRIES (issue 12 §4)", () => {
    expect(
      loadConfig({ ...base, STRIPE_TIMEOUT_SECONDS: "3", STRIPE_MAX_NETWORK_RETRIES: "0" }),
    ).toMatchObject({ stripeTimeoutMs: 3_000, stripeMaxNetworkRetries: 0 });
    expect(() => loadConfig({ ...base, STRIPE_TIMEOUT_SECONDS: "0" })).toThrow(
      /STRIPE_TIMEOUT_SECONDS: must be whole seconds from 1 to 60/,
    );
    expect(() => loadConfig({ ...base, STRIPE_MAX_NETWORK_RETRIES: "9" })).toThrow(
      /STRIPE_MAX_NETWORK_RETRIES: must be a whole number from 0 to 5/,
    );
    expect(BILLING_ENV_VARIABLES).toEqual(
      expect.arrayContaining(["STRIPE_TIMEOUT_SECONDS", "STRIPE_MAX_NETWORK_RETRIES"]),
    );
  });

  it("RATE_LIMIT_STORE: postgres with DATABASE_URL, memory with PGlite, or as set (ADR 0160)", () => {
    expect(loadConfig(base).rateLimitStore).toBe("memory");
    expect(loadConfig({ ...base, DATABASE_URL: "postgres://u@db/billing" }).rateLimitStore).toBe("postgres");
    expect(
      loadConfig({ ...base, DATABASE_URL: "postgres://u@db/billing", RATE_LIMIT_STORE: "memory" })
        .rateLimitStore,
    ).toBe("memory");
    expect(() => loadConfig({ ...base, RATE_LIMIT_STORE: "redis" })).toThrow(
      /RATE_LIMIT_STORE: must be postgres or memory/,
    );
  });

  it("SESSION_TOKEN_LIFETIME_HOURS: 24 h by default, 1 to 720 (ADR 0161)", () => {
    expect(loadConfig(base).sessionTokenLifetimeMs).toBe(24 * 60 * 60 * 1000);
    expect(loadConfig({ ...base, SESSION_TOKEN_LIFETIME_HOURS: "2" }).sessionTokenLifetimeMs).toBe(
      2 * 60 * 60 * 1000,
    );
    expect(() => loadConfig({ ...base, SESSION_TOKEN_LIFETIME_HOURS: "0" })).toThrow(
      /SESSION_TOKEN_LIFETIME_HOURS: must be whole hours from 1 to 720/,
    );
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
    expect(config.priceIds.starter).toBe(FAKE_PRICE_IDS.starter);
  });

  it("has no default Stripe price ids: each STRIPE_PRICE_* is required and named", () => {
    const { STRIPE_PRICE_POWER: _power, STRIPE_PRICE_STARTER: _starter, ...withoutTwo } = base;
    expect(() => loadConfig(withoutTwo)).toThrow(
      /STRIPE_PRICE_STARTER: is required \(the Stripe price id of this product, price_…\).*STRIPE_PRICE_POWER: is required/,
    );
    expect(() => loadConfig({ ...base, STRIPE_PRICE_AI: "prod_ai" })).toThrow(
      /STRIPE_PRICE_AI: must look like price_/,
    );
  });

  it("reads the in-cluster variables the kubelet sets and the sessions variables", () => {
    const config = loadConfig({
      ...base,
      DATABASE_URL: "postgres://billing@10.0.0.3:5432/billing",
      KUBERNETES_SERVICE_HOST: "10.0.0.1",
      KUBERNETES_SERVICE_PORT: "443",
      ADMIN_BREAK_GLASS: "true",
      WORKSTATION_IDENTITY_AUDIENCE: "https://billing.coditect.example",
      WORKSTATION_IDENTITY_SERVICE_ACCOUNTS: "ws@p.iam.gserviceaccount.com, ws2@p.iam.gserviceaccount.com",
      SESSIONS_HEARTBEAT_INTERVAL_SECONDS: "15",
    });
    expect(config.kubernetes).toEqual({ kubeconfig: undefined, serviceHost: "10.0.0.1", servicePort: "443" });
    expect(config.workstationIdentity).toEqual({
      audience: "https://billing.coditect.example",
      serviceAccounts: ["ws@p.iam.gserviceaccount.com", "ws2@p.iam.gserviceaccount.com"],
      jwks: "https://www.googleapis.com/oauth2/v3/certs",
    });
    expect(config.sessionsHeartbeatIntervalMs).toBe(15_000);
  });

  it("refuses to fall back to embedded PGlite in a pod", () => {
    expect(() =>
      loadConfig({ ...base, KUBERNETES_SERVICE_HOST: "10.0.0.1", KUBERNETES_SERVICE_PORT: "443" }),
    ).toThrow("DATABASE_URL is required in a pod (KUBERNETES_SERVICE_HOST is set)");
  });

  it("refuses one workstation identity variable without the other, naming the missing one", () => {
    expect(() =>
      loadConfig({ ...base, WORKSTATION_IDENTITY_AUDIENCE: "https://billing.coditect.example" }),
    ).toThrow("WORKSTATION_IDENTITY_SERVICE_ACCOUNTS is required when WORKSTATION_IDENTITY_AUDIENCE is set");
    expect(() =>
      loadConfig({ ...base, WORKSTATION_IDENTITY_SERVICE_ACCOUNTS: "ws@p.iam.gserviceaccount.com" }),
    ).toThrow("WORKSTATION_IDENTITY_AUDIENCE is required when WORKSTATION_IDENTITY_SERVICE_ACCOUNTS is set");
    expect(() => loadConfig({ ...base, SESSIONS_HEARTBEAT_INTERVAL_SECONDS: "0" })).toThrow(
      /SESSIONS_HEARTBEAT_INTERVAL_SECONDS: must be whole seconds from 1 to 3600/,
    );
  });

  it("declares every variable it reads in BILLING_ENV_VARIABLES", () => {
    for (const v of [
      "DATABASE_URL",
      "DATABASE_PASSWORD_FILE",
      "STRIPE_SECRET_KEY_FILE",
      "ADMIN_TOKEN_FILE",
      "OFFLINE_TOKEN_KEYS_FILE",
      "KUBERNETES_SERVICE_HOST",
      "WORKSTATION_IDENTITY_AUDIENCE",
      "WORKSTATION_IDENTITY_SERVICE_ACCOUNTS",
      "SESSIONS_HEARTBEAT_INTERVAL_SECONDS",
      "STRIPE_PRICE_AI",
      "PGLITE_DIR",
    ]) {
      expect(BILLING_ENV_VARIABLES).toContain(v);
    }
  });

  it.each([
    ["missing secrets", {}, /STRIPE_SECRET_KEY: is required.*STRIPE_WEBHOOK_SECRET: is required/],
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
        ...fakeStripePriceEnv(),
      });
      expect(config.stripeSecretKey).toBe("sk_live_fromfile");
      expect(config.stripeWebhookSecret).toBe("whsec_fromfile");
      expect(config.admin.breakGlassToken).toBe("a".repeat(40));
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
          ...fakeStripePriceEnv(),
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
