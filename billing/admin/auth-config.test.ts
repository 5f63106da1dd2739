import { describe, expect, it } from "vitest";
import { fakeStripePriceEnv } from "../../test-support/fake-stripe/index.js";
import { BILLING_ENV_VARIABLES, loadConfig } from "../config.js";

const base: Record<string, string> = {
  STRIPE_SECRET_KEY: "sk_test_123",
  STRIPE_WEBHOOK_SECRET: "whsec_123",
  ...fakeStripePriceEnv(),
};
const inPod = {
  DATABASE_URL: "postgres://billing@10.0.0.3:5432/billing",
  KUBERNETES_SERVICE_HOST: "10.0.0.1",
  KUBERNETES_SERVICE_PORT: "443",
};
const identity = {
  ADMIN_EMAILS: "Alice@Coditect.example, bob@coditect.example",
  ADMIN_ID_TOKEN_AUDIENCES: "32555940559.apps.googleusercontent.com",
};
const TOKEN = "t".repeat(32);

describe("admin authentication settings (ADR 0165)", () => {
  it("production: Google identities on an allow-list, break-glass off, Google's keys", () => {
    const { admin } = loadConfig({ ...base, ...inPod, ...identity });
    expect(admin).toEqual({
      emails: ["alice@coditect.example", "bob@coditect.example"],
      idToken: {
        audiences: ["32555940559.apps.googleusercontent.com"],
        jwks: "https://www.googleapis.com/oauth2/v3/certs",
        issuers: ["https://accounts.google.com", "accounts.google.com"],
      },
      iap: undefined,
      breakGlassToken: undefined,
    });
  });

  it("IAP: its audience, its issuer and its keys", () => {
    const { admin } = loadConfig({
      ...base,
      ADMIN_EMAILS: "alice@coditect.example",
      ADMIN_IAP_AUDIENCE: "/projects/123/global/backendServices/456",
    });
    expect(admin.iap).toEqual({
      audience: "/projects/123/global/backendServices/456",
      jwks: "https://www.gstatic.com/iap/verify/public_key-jwk",
      issuers: ["https://cloud.google.com/iap"],
    });
    expect(admin.idToken).toBeUndefined();
  });

  it("refuses the shared token in a pod unless ADMIN_BREAK_GLASS=true", () => {
    expect(() => loadConfig({ ...base, ...inPod, ...identity, ADMIN_TOKEN: TOKEN })).toThrow(
      /ADMIN_TOKEN is a break-glass credential: in a pod it is accepted only with ADMIN_BREAK_GLASS=true/,
    );
    const { admin } = loadConfig({
      ...base,
      ...inPod,
      ...identity,
      ADMIN_TOKEN: TOKEN,
      ADMIN_BREAK_GLASS: "true",
    });
    expect(admin.breakGlassToken).toBe(TOKEN);
  });

  it("outside a pod (sandbox, tests) the token alone is enough", () => {
    expect(loadConfig({ ...base, ADMIN_TOKEN: TOKEN }).admin).toMatchObject({
      emails: [],
      breakGlassToken: TOKEN,
    });
  });

  it.each([
    [{}, /the admin API needs ADMIN_EMAILS/],
    [{ ADMIN_EMAILS: "a@b.example" }, /ADMIN_EMAILS is set but no way to prove an identity is/],
    [{ ADMIN_ID_TOKEN_AUDIENCES: "aud" }, /ADMIN_EMAILS is required when ADMIN_ID_TOKEN_AUDIENCES is set/],
    [{ ...identity, ADMIN_BREAK_GLASS: "true" }, /ADMIN_BREAK_GLASS=true needs ADMIN_TOKEN/],
    [{ ...identity, ADMIN_BREAK_GLASS: "yes" }, /ADMIN_BREAK_GLASS: must be true or false/],
    [
      { ADMIN_EMAILS: "not-an-email", ADMIN_ID_TOKEN_AUDIENCES: "a" },
      /ADMIN_EMAILS: must be a comma-separated list of emails/,
    ],
    [{ ...identity, ADMIN_IAP_AUDIENCE: "my-backend" }, /ADMIN_IAP_AUDIENCE: must be IAP's audience/],
    [{ ...identity, ADMIN_GOOGLE_JWKS_URL: "certs" }, /ADMIN_GOOGLE_JWKS_URL: must be an absolute URL/],
  ])("refuses %j naming the variable", (env, message) => {
    expect(() => loadConfig({ ...base, ...env })).toThrow(message);
  });

  it("declares every admin variable", () => {
    expect(BILLING_ENV_VARIABLES).toEqual(
      expect.arrayContaining([
        "ADMIN_EMAILS",
        "ADMIN_ID_TOKEN_AUDIENCES",
        "ADMIN_IAP_AUDIENCE",
        "ADMIN_GOOGLE_JWKS_URL",
        "ADMIN_IAP_JWKS_URL",
        "ADMIN_TOKEN",
        "ADMIN_TOKEN_FILE",
        "ADMIN_BREAK_GLASS",
      ]),
    );
  });
});
