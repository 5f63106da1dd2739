/** Every template: values escaped in HTML, nothing loaded from anywhere, links only where given, both parts. */
import { describe, expect, it } from "vitest";
import { NOTIFICATION_KINDS, renderNotification, type TemplateData } from "./templates.js";

const hostile = '<script>alert("x")</script>&\'';
const data: TemplateData = {
  licenseId: "0b6f9d3e-1111-4222-8333-444455556666",
  organization: hostile,
  tier: "pro",
  revealUrl: "https://billing.example/v1/checkout/success?session_id=cs_1&x=<y>",
  accessEndsAt: "2026-06-08T12:30:00.000Z",
  expiresAt: "2026-06-08T12:30:00.000Z",
  days: 7,
  at: "2026-06-01T00:00:00.000Z",
  inviter: hostile,
  role: "member",
  acceptUrl: "https://billing.example/accept?t=1",
  workstation: "ws-1",
  accessUrl: "https://ws-1.example/",
  signInUrl: "https://billing.example/account/sign-in/verify?token=t&x=<y>",
  // Issue 16 §2 (billing/stripe lifecycle kinds).
  deleteAfter: "2026-06-08T12:30:00.000Z",
  trialEndsAt: "2026-06-08T12:30:00.000Z",
  accountUrl: "https://billing.example/account/",
  invoiceUrl: "https://invoice.stripe.example/i/1?x=<y>",
  won: "yes",
  attempts: 3,
};

describe("notification templates", () => {
  it.each(NOTIFICATION_KINDS)("%s: escaped HTML that loads nothing, and a text part", (kind) => {
    const email = renderNotification(kind, data);
    expect(email.subject.length).toBeGreaterThan(10);
    expect(email.text).not.toContain("<p>");
    expect(email.html).not.toContain("<script>");
    expect(email.html).not.toMatch(/<(img|link|script|iframe|object|embed|style)\b|\bsrc=|url\(|@import/i);
    for (const [, href] of email.html.matchAll(/href="([^"]*)"/g)) {
      expect(
        [
          data.revealUrl,
          data.acceptUrl,
          data.accessUrl,
          data.signInUrl,
          data.accountUrl,
          data.invoiceUrl,
        ].map((u) => String(u).replaceAll("&", "&amp;").replaceAll("<", "&lt;").replaceAll(">", "&gt;")),
      ).toContain(href);
    }
  });

  it("shows values as text: the hostile organization appears escaped in HTML and verbatim in text", () => {
    const email = renderNotification("license_revoked", data);
    expect(email.html).toContain("&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;&amp;&#39;");
    expect(email.text).toContain(hostile);
  });

  it("the receipt links to the reveal page and says the key is not in the mail", () => {
    const email = renderNotification("purchase_receipt", data);
    expect(email.text).toContain(`Reveal your license key: ${data.revealUrl}`);
    expect(email.text).toContain("does not contain the key");
  });

  it("the welcome links to the sign-in page, shows the end date and says the key is not in the mail", () => {
    const email = renderNotification("welcome", data);
    expect(email.text).toContain(`Sign in to your account: ${data.signInUrl}`);
    expect(email.text).toContain("until 2026-06-08 12:30 UTC");
    expect(email.text).toContain("does not contain the license key");
    const internal = renderNotification("welcome", { ...data, expiresAt: null });
    expect(internal.text).not.toContain("until");
  });

  it("refuses to render without the data a template needs", () => {
    expect(() => renderNotification("payment_failed", { licenseId: "x", organization: "acme" })).toThrow(
      "notification data lacks accessEndsAt",
    );
  });
});
