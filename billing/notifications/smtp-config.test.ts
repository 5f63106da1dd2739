/** The SMTP variables (billing/config.ts): a half-configured relay stops billing at start, naming what is missing. */
import { describe, expect, it } from "vitest";
import { fakeStripePriceEnv } from "../../test-support/fake-stripe/index.js";
import { loadConfig } from "../config.js";

const base = {
  STRIPE_SECRET_KEY: "sk_test_x",
  STRIPE_WEBHOOK_SECRET: "whsec_x",
  ADMIN_TOKEN: "t".repeat(32),
  ...fakeStripePriceEnv(),
};

describe("SMTP configuration", () => {
  it("unset: no relay (messages stay queued)", () => {
    expect(loadConfig(base).smtp).toBeUndefined();
  });
  it("host, port and From; the port defaults to 587", () => {
    expect(
      loadConfig({ ...base, SMTP_HOST: "mail.example.test", SMTP_FROM: "no-reply@example.test" }).smtp,
    ).toEqual({
      host: "mail.example.test",
      port: 587,
      auth: undefined,
      from: "no-reply@example.test",
    });
  });
  it.each([
    [{ SMTP_HOST: "mail.example.test" }, "SMTP_FROM is required when SMTP_HOST is set"],
    [
      { SMTP_HOST: "mail.example.test", SMTP_FROM: "x@y.test", SMTP_USER: "u" },
      "set both SMTP_USER and SMTP_PASSWORD",
    ],
    [{ SMTP_HOST: "mail example", SMTP_FROM: "x@y.test" }, "SMTP_HOST"],
    [{ SMTP_HOST: "mail.example.test", SMTP_FROM: "not-an-address" }, "SMTP_FROM"],
    [{ SMTP_HOST: "mail.example.test", SMTP_FROM: "x@y.test", SMTP_PORT: "70000" }, "SMTP_PORT"],
  ])("%j is refused: %s", (env, message) => {
    expect(() => loadConfig({ ...base, ...env })).toThrow(message);
  });
});
