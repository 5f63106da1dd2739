/** Billing's Deployment sets ACCOUNT_GOOGLE_CLIENT_ID exactly when the stack names the OAuth client (ADR 0220). */
import { describe, expect, it } from "vitest";
import { loadConfig } from "../../billing/config.js";
import { fakeStripePriceEnv } from "../../test-support/fake-stripe/index.js";
import { accountGoogleEnv } from "./billing.js";

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
