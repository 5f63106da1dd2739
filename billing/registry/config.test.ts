/** REGISTRY_* configuration: what each credential kind needs, and bad values named (billing refuses to start). */
import { describe, expect, it } from "vitest";
import { fakeStripePriceEnv } from "../../test-support/fake-stripe/index.js";
import { loadConfig } from "../config.js";

const base = {
  STRIPE_SECRET_KEY: "sk_test_x",
  STRIPE_WEBHOOK_SECRET: "whsec_x",
  ADMIN_TOKEN: "a".repeat(32),
  ...fakeStripePriceEnv(),
};
const google = {
  REGISTRY_CREDENTIALS: "google-access-token",
  REGISTRY_HOST: "us-central1-docker.pkg.dev",
  REGISTRY_REPOSITORY_PREFIX: "coditect-citus-prod/",
  REGISTRY_PULL_SERVICE_ACCOUNTS:
    "pro=pull-pro@p.iam.gserviceaccount.com, enterprise=pull-ent@p.iam.gserviceaccount.com",
};

describe("REGISTRY_* configuration", () => {
  it("is off by default", () => {
    expect(loadConfig(base).registry).toBeUndefined();
  });

  it("reads the production settings, lifetime 1 h by default", () => {
    expect(loadConfig({ ...base, ...google }).registry).toEqual({
      kind: "google-access-token",
      registry: "us-central1-docker.pkg.dev",
      repositoryPrefix: "coditect-citus-prod/",
      serviceAccounts: {
        pro: "pull-pro@p.iam.gserviceaccount.com",
        enterprise: "pull-ent@p.iam.gserviceaccount.com",
      },
      lifetimeSeconds: 3600,
      iamCredentialsEndpoint: undefined,
    });
  });

  it.each([
    [{ REGISTRY_CREDENTIALS: "basic" }, /REGISTRY_CREDENTIALS.*docker-token or google-access-token/],
    [{ REGISTRY_PULL_SERVICE_ACCOUNTS: undefined }, /REGISTRY_PULL_SERVICE_ACCOUNTS required/],
    [{ REGISTRY_PULL_SERVICE_ACCOUNTS: "pro=a@b" }, /both pro= and enterprise=/],
    [{ REGISTRY_PULL_SERVICE_ACCOUNTS: "starter=a@b" }, /REGISTRY_PULL_SERVICE_ACCOUNTS/],
    [
      { REGISTRY_ACCESS_TOKEN_LIFETIME_SECONDS: "86400" },
      /REGISTRY_ACCESS_TOKEN_LIFETIME_SECONDS.*300 to 3600/,
    ],
    [{ REGISTRY_REPOSITORY_PREFIX: "no-slash" }, /REGISTRY_REPOSITORY_PREFIX/],
    [
      { REGISTRY_CREDENTIALS: "docker-token", REGISTRY_TOKEN_LIFETIME_SECONDS: "600" },
      /REGISTRY_TOKEN_LIFETIME_SECONDS.*1 to 300/,
    ],
    [
      { REGISTRY_CREDENTIALS: "docker-token" },
      /REGISTRY_TOKEN_ISSUER, REGISTRY_TOKEN_SERVICE, REGISTRY_TOKEN_KEY_FILE, REGISTRY_TOKEN_CERTS_FILE required/,
    ],
  ])("refuses %j", (change, message) => {
    const env: Record<string, string | undefined> = { ...base, ...google, ...change };
    expect(() => loadConfig(env)).toThrow(message);
  });
});
