/**
 * Billing's Deployment sets ACCOUNT_GOOGLE_CLIENT_ID exactly when the stack names the OAuth client (ADR 0220),
 * and then mounts the client's secret as ACCOUNT_GOOGLE_CLIENT_SECRET_FILE for the pages' code flow (ADR 0286).
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { BILLING_ENV_VARIABLES, loadConfig } from "../../billing/config.js";
import { fakeStripePriceEnv } from "../../test-support/fake-stripe/index.js";
import { CONTROL_PLANE_SECRETS } from "../secrets.js";
import { accountGoogleEnv, billingSecretFiles } from "./billing.js";

describe("accountGoogleEnv", () => {
  it("sets the client id billing reads as the Google sign-in audience, or nothing", () => {
    const clientId = "1234-abc.apps.googleusercontent.com";
    const env = accountGoogleEnv(clientId);
    expect(env).toEqual([{ name: "ACCOUNT_GOOGLE_CLIENT_ID", value: clientId }]);
    expect(accountGoogleEnv(undefined)).toEqual([]);
    const base = {
      STRIPE_SECRET_KEY: "sk_test_x",
      STRIPE_WEBHOOK_SECRET: "whsec_x",
      ...fakeStripePriceEnv(),
    };
    const config = loadConfig({
      ...base,
      ADMIN_TOKEN: "x".repeat(32),
      ...Object.fromEntries(env.map((e) => [e.name, e.value])),
    });
    expect(config.accountGoogle).toEqual({ clientId, jwks: "https://www.googleapis.com/oauth2/v3/certs" });
    expect(loadConfig({ ...base, ADMIN_TOKEN: "x".repeat(32) }).accountGoogle).toBeUndefined();
    expect(() =>
      loadConfig({ ...base, ADMIN_TOKEN: "x".repeat(32), ACCOUNT_GOOGLE_CLIENT_ID: "has spaces" }),
    ).toThrow(/ACCOUNT_GOOGLE_CLIENT_ID/);
  });
});

describe("the pages' Google code flow (ADR 0286)", () => {
  const base = {
    STRIPE_SECRET_KEY: "sk_test_x",
    STRIPE_WEBHOOK_SECRET: "whsec_x",
    ADMIN_TOKEN: "x".repeat(32),
    ...fakeStripePriceEnv(),
  };
  const clientId = "1234-abc.apps.googleusercontent.com";

  it("mounts the client secret from Secret Manager only with a client id, and billing reads it from the file", () => {
    const files = billingSecretFiles({ breakGlass: false }, undefined, clientId);
    expect(files).toMatchObject({ ACCOUNT_GOOGLE_CLIENT_SECRET_FILE: "account-google-client-secret" });
    expect(Object.keys(CONTROL_PLANE_SECRETS)).toContain("account-google-client-secret");
    expect(Object.keys(billingSecretFiles({ breakGlass: false }, undefined, undefined))).not.toContain(
      "ACCOUNT_GOOGLE_CLIENT_SECRET_FILE",
    );
    expect(BILLING_ENV_VARIABLES).toContain("ACCOUNT_GOOGLE_CLIENT_SECRET_FILE");

    const dir = mkdtempSync(join(tmpdir(), "account-google-"));
    try {
      const file = join(dir, "account-google-client-secret");
      writeFileSync(file, "GOCSPX-from-secret-manager\n");
      const env = {
        ...base,
        ...Object.fromEntries(accountGoogleEnv(clientId).map((e) => [e.name, e.value])),
        ACCOUNT_GOOGLE_CLIENT_SECRET_FILE: file,
      };
      expect(loadConfig(env).accountGoogle).toEqual({
        clientId,
        jwks: "https://www.googleapis.com/oauth2/v3/certs",
        codeFlow: {
          clientSecret: "GOCSPX-from-secret-manager",
          authorizationUrl: "https://accounts.google.com/o/oauth2/v2/auth",
          tokenUrl: "https://oauth2.googleapis.com/token",
        },
      });
      expect(
        loadConfig({
          ...env,
          ACCOUNT_GOOGLE_AUTHORIZATION_URL: "http://127.0.0.1:1/auth",
          ACCOUNT_GOOGLE_TOKEN_URL: "http://127.0.0.1:1/token",
        }).accountGoogle?.codeFlow,
      ).toMatchObject({ authorizationUrl: "http://127.0.0.1:1/auth", tokenUrl: "http://127.0.0.1:1/token" });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("refuses a secret without a client id, both the secret and its file, an unreadable file and a bad URL", () => {
    expect(() => loadConfig({ ...base, ACCOUNT_GOOGLE_CLIENT_SECRET: "s" })).toThrow(
      /ACCOUNT_GOOGLE_CLIENT_ID is required when ACCOUNT_GOOGLE_CLIENT_SECRET/,
    );
    expect(() =>
      loadConfig({
        ...base,
        ACCOUNT_GOOGLE_CLIENT_ID: clientId,
        ACCOUNT_GOOGLE_CLIENT_SECRET: "s",
        ACCOUNT_GOOGLE_CLIENT_SECRET_FILE: "/nonexistent",
      }),
    ).toThrow(/set only one of ACCOUNT_GOOGLE_CLIENT_SECRET and ACCOUNT_GOOGLE_CLIENT_SECRET_FILE/);
    expect(() =>
      loadConfig({
        ...base,
        ACCOUNT_GOOGLE_CLIENT_ID: clientId,
        ACCOUNT_GOOGLE_CLIENT_SECRET_FILE: "/nonexistent",
      }),
    ).toThrow(/ACCOUNT_GOOGLE_CLIENT_SECRET_FILE=\/nonexistent cannot be read \(ENOENT\)/);
    expect(() =>
      loadConfig({
        ...base,
        ACCOUNT_GOOGLE_CLIENT_ID: clientId,
        ACCOUNT_GOOGLE_CLIENT_SECRET: "s",
        ACCOUNT_GOOGLE_TOKEN_URL: "not a url",
      }),
    ).toThrow(/ACCOUNT_GOOGLE_TOKEN_URL/);
    // The client id alone still serves the ID-token API, without the pages' button.
    expect(
      loadConfig({ ...base, ACCOUNT_GOOGLE_CLIENT_ID: clientId }).accountGoogle?.codeFlow,
    ).toBeUndefined();
  });
});
