/**
 * Notifications through the real app (HTTP API, webhooks, admin API), real PostgreSQL, the fake Stripe
 * through the SDK and a real SMTP server: each cause mails once (replayed webhooks, repeated admin calls,
 * concurrent expiry scans), no message carries a secret, a hung SMTP server never holds a request, and the
 * admin list/retry endpoints and gauges.
 */
import pino from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parsePrometheusText } from "../../test-support/prometheus.js";
import { type SmtpCatcher, startSmtpCatcher } from "../../test-support/smtp/index.js";
import { waitFor } from "../../test-support/wait.js";
import { revealLicenseKey, startCheckout } from "../checkout/reveal-client.js";
import { type BillingHarness, eventsById, startBillingHarness } from "../testing/harness.js";
import { scanExpiringLicenses } from "./expiry-scan.js";
import { createNotificationSender, type NotificationSender } from "./sender.js";
import { createSmtpTransport } from "./transport.js";

const FROM = "billing@coditect.test";
const DAY_MS = 24 * 60 * 60 * 1000;

let h: BillingHarness;
let smtp: SmtpCatcher;
let sender: NotificationSender;
/** Every secret a test saw (license keys); no message may contain any of them. */
const secrets: string[] = [];

beforeAll(async () => {
  h = await startBillingHarness();
  smtp = await startSmtpCatcher();
  const transport = createSmtpTransport(
    { host: smtp.host, port: smtp.port, auth: undefined, from: FROM },
    { pool: false },
  );
  sender = createNotificationSender(
    { db: h.pool, clock: h.clock, logger: pino({ level: "silent" }) },
    transport,
    {
      from: FROM,
      maxAttempts: 2,
    },
  );
});
afterAll(async () => {
  // The secret check covers every message every test delivered.
  for (const message of smtp.messages) {
    for (const secret of secrets) expect(message.raw).not.toContain(secret);
    expect(message.raw).not.toMatch(/CODITECT-(STR|PRO|ENT)-[A-Z2-7]{32}/);
  }
  await h.stop();
  await smtp.stop();
});

const deliver = async (ids: string[]) => {
  for (const event of eventsById(h.fake, ids)) expect((await h.sendEvent(event)).status).toBe(200);
};
const mailsTo = (to: string, kind?: string) =>
  smtp.messages.filter((m) => m.to.includes(to) && (!kind || m.headers["x-notification-kind"] === kind));
// biome-ignore lint/suspicious/noExplicitAny: response bodies are arbitrary JSON the tests assert on
const json = async (res: Response) => (await res.json()) as Record<string, any>;

describe("purchase receipt", () => {
  it("is mailed once per purchase (webhook replayed, success page visited), links to the one-time reveal, never the key", async () => {
    const email = "buyer@receipt.test";
    const started = await startCheckout(h.url, {
      organization: "receipt",
      customerEmail: email,
      items: [{ product: "pro", quantity: 2 }],
    });
    const sessionId = String(started.body.checkoutSessionId);
    const completed = h.fake.store.completeCheckout(sessionId);
    const ids = completed.events.map((e) => String(e.id));
    await deliver(ids);
    await deliver(ids); // Stripe redelivers
    expect((await fetch(`${h.url}/v1/checkout/success?session_id=${sessionId}`)).status).toBe(200);
    await sender.sendDue();
    await sender.sendDue();
    const receipts = mailsTo(email, "purchase_receipt");
    expect(receipts).toHaveLength(1);
    const link = `http://billing.test/v1/checkout/success?session_id=${sessionId}`;
    expect(receipts[0]!.text).toContain(link);
    expect(receipts[0]!.html).toContain(`href="${link}"`);
    expect(receipts[0]!.subject).toBe("Your Coditect pro license for receipt");
    // The key is revealed on the page the mail links to (once, to the buying browser) and is not in the mail.
    const revealed = await revealLicenseKey(h.url, sessionId, started.cookie);
    expect(revealed.status).toBe(200);
    secrets.push(String(revealed.body.licenseKey));
  });
});

describe("payment failed", () => {
  it("mails the date access ends (the payment grace), once per invoice", async () => {
    const email = "late@payer.test";
    const purchase = await h.buy([{ product: "starter", quantity: 1 }], "payer", email);
    await deliver(purchase.events.map((e) => e.id));
    const failure = h.fake.store.failPayment(purchase.subscriptionId).map((e) => String(e.id));
    await deliver(failure);
    await sender.sendDue();
    const license = await h.pool.query(
      "SELECT grace_ends_at FROM licenses WHERE stripe_subscription_id = $1",
      [purchase.subscriptionId],
    );
    const endsAt = (license.rows[0].grace_ends_at as Date).toISOString();
    const mails = mailsTo(email, "payment_failed");
    expect(mails).toHaveLength(1);
    expect(mails[0]!.text).toContain(
      `Access continues until ${endsAt.slice(0, 10)} ${endsAt.slice(11, 16)} UTC`,
    );
    // A second failed attempt of the same invoice does not mail again.
    await deliver(h.fake.store.failPayment(purchase.subscriptionId).map((e) => String(e.id)));
    await sender.sendDue();
    expect(mailsTo(email, "payment_failed")).toHaveLength(1);
  });
});

describe("admin changes", () => {
  it("key rotation, suspension and revocation mail the customer once each, without either key", async () => {
    const email = "granted@admin.test";
    const created = await json(
      await h.admin("POST", "/licenses", {
        organization: "granted",
        customerEmail: email,
        tier: "pro",
        provisioningType: "pilot",
        durationDays: 30,
      }),
    );
    const id = created.license.id as string;
    secrets.push(created.licenseKey);
    const rotated = await json(await h.admin("POST", `/licenses/${id}/rotate-key`, { reason: "leaked" }));
    secrets.push(rotated.licenseKey);
    for (let n = 0; n < 2; n++) {
      expect((await h.admin("POST", `/licenses/${id}/suspend`, { reason: "abuse" })).status).toBe(200);
    }
    expect((await h.admin("POST", `/licenses/${id}/reinstate`, { reason: "resolved" })).status).toBe(200);
    for (let n = 0; n < 2; n++) {
      expect((await h.admin("POST", `/licenses/${id}/revoke`, { reason: "fraud" })).status).toBe(200);
    }
    await sender.sendDue();
    // One each, whatever order the sender's two workers delivered them in.
    expect(
      mailsTo(email)
        .map((m) => m.headers["x-notification-kind"])
        .sort(),
    ).toEqual(["key_rotated", "license_revoked", "license_suspended", "welcome"]);
    expect(mailsTo(email, "key_rotated")[0]!.text).toContain("the old key no longer works");
  });
});

describe("expiry warnings", () => {
  it("7 days and 1 day before the end, once per threshold even with two replicas scanning", async () => {
    const email = "trial@expiry.test";
    const created = await json(
      await h.admin("POST", "/licenses", {
        organization: "expiry",
        customerEmail: email,
        tier: "starter",
        provisioningType: "trial",
        durationDays: 10,
      }),
    );
    secrets.push(created.licenseKey);
    const scanTwice = () =>
      Promise.all([scanExpiringLicenses(h.pool, h.clock.now()), scanExpiringLicenses(h.pool, h.clock.now())]);
    expect(await scanTwice()).toEqual([0, 0]);
    h.clock.advance(3 * DAY_MS + 1);
    expect((await scanTwice()).reduce((a, b) => a + b)).toBe(1);
    expect(await scanTwice()).toEqual([0, 0]);
    h.clock.advance(6 * DAY_MS);
    expect((await scanTwice()).reduce((a, b) => a + b)).toBe(1);
    await sender.sendDue();
    // Both are due by now and the sender's two workers deliver them in either order.
    expect(
      mailsTo(email, "license_expiring")
        .map((m) => m.subject)
        .sort(),
    ).toEqual([
      "Your Coditect license for expiry expires in 1 day",
      "Your Coditect license for expiry expires in 7 days",
    ]);
  });
});

describe("the request path never waits on SMTP", () => {
  it("with the SMTP server hung mid-send, checkout, the webhook and admin changes still answer", async () => {
    const email = "hung@smtp.test";
    const before = await h.admin("POST", "/licenses", {
      organization: "hung",
      customerEmail: email,
      tier: "starter",
      provisioningType: "pilot",
      durationDays: 30,
    });
    secrets.push((await json(before)).licenseKey);
    await sender.sendDue(); // the welcome (ADR 0251), before the relay hangs
    const licenseId = (await json(await h.admin("GET", "/licenses?organization=hung"))).licenses[0].id;
    expect((await h.admin("POST", `/licenses/${licenseId}/suspend`, { reason: "x" })).status).toBe(200);
    smtp.hang();
    const pass = sender.sendDue();
    await waitFor("the sender blocked in SMTP DATA", () => smtp.held() > 0);
    // Meanwhile: a whole purchase through checkout and the webhook, and an admin change that enqueues.
    const purchase = await h.buy([{ product: "starter", quantity: 1 }], "hung2", "hung2@smtp.test");
    await deliver(purchase.events.map((e) => e.id));
    expect((await h.admin("POST", `/licenses/${licenseId}/revoke`, { reason: "x" })).status).toBe(200);
    expect(smtp.held()).toBeGreaterThan(0); // still hung while all of that was answered
    smtp.release();
    await pass;
    smtp.refuseNext(0);
    h.clock.advance(60 * 60 * 1000);
    await sender.sendDue();
    // The held message was refused on release and retried after the revocation's was sent.
    expect(mailsTo(email).map((m) => m.headers["x-notification-kind"])).toEqual([
      "welcome",
      "license_revoked",
      "license_suspended",
    ]);
    expect(mailsTo("hung2@smtp.test", "purchase_receipt")).toHaveLength(1);
  });
});

describe("admin notification endpoints and gauges", () => {
  it("lists failed messages, retries one (audited), which is then delivered; gauges count by state", async () => {
    const email = "failing@retry.test";
    const created = await json(
      await h.admin("POST", "/licenses", {
        organization: "retry",
        customerEmail: email,
        tier: "starter",
        provisioningType: "pilot",
        durationDays: 30,
      }),
    );
    secrets.push(created.licenseKey);
    await sender.sendDue(); // the welcome (ADR 0251) goes out; the revocation's mail is the one refused
    smtp.refuseNext(2);
    await h.admin("POST", `/licenses/${created.license.id}/revoke`, { reason: "x" });
    await sender.sendDue();
    h.clock.advance(60 * 60 * 1000);
    await sender.sendDue(); // maxAttempts 2: now failed
    const listed = await json(await h.admin("GET", "/notifications?state=failed"));
    expect(listed.notifications).toEqual([
      expect.objectContaining({
        kind: "license_revoked",
        recipient: email,
        licenseId: created.license.id,
        state: "failed",
        attempts: 2,
        lastError: expect.stringContaining("try again later"),
      }),
    ]);
    expect(listed.notifications[0]).not.toHaveProperty("data");
    const samples = parsePrometheusText(await (await fetch(`${h.url}/metrics`)).text());
    const gauge = (state: string) =>
      samples.find((s) => s.name === "billing_notifications" && s.labels.state === state)?.value;
    expect(gauge("failed")).toBe(1);
    expect(gauge("pending")).toBe(0);
    expect(gauge("sent")).toBe(smtp.messages.length);

    const id = listed.notifications[0].id as string;
    const retried = await h.admin("POST", `/notifications/${id}/retry`);
    expect(retried.status).toBe(200);
    expect((await json(retried)).notification).toMatchObject({ id, state: "pending", attempts: 0 });
    expect((await h.admin("POST", `/notifications/${id}/retry`)).status).toBe(409);
    await sender.sendDue();
    expect(mailsTo(email, "license_revoked")).toHaveLength(1);
    expect((await json(await h.admin("GET", "/notifications"))).notifications).toEqual([]);
    const audit = await json(await h.admin("GET", `/audit-events?licenseId=${created.license.id}`));
    expect(audit.events.map((e: { action: string }) => e.action)).toContain("notification.retried");
  });

  it("refuses bad input with a 400 naming the value, unknown ids with 404, and no admin with 401", async () => {
    const expectError = async (res: Response, status: number, code: string, mentions: string) => {
      expect(res.status).toBe(status);
      const body = await json(res);
      expect(body.error.code).toBe(code);
      expect(body.error.message).toContain(mentions);
    };
    await expectError(await h.admin("GET", "/notifications?state=bogus"), 400, "invalid_request", "state");
    await expectError(await h.admin("GET", "/notifications?limit=0"), 400, "invalid_request", "limit");
    await expectError(await h.admin("GET", "/notifications?afterId=x1"), 400, "invalid_request", "afterId");
    await expectError(await h.admin("GET", "/notifications?color=red"), 400, "invalid_request", "color");
    await expectError(await h.admin("POST", "/notifications/abc/retry"), 400, "invalid_request", "id");
    await expectError(await h.admin("POST", "/notifications/0/retry"), 400, "invalid_request", "id");
    await expectError(
      await h.admin("POST", "/notifications/999999/retry"),
      404,
      "notification_not_found",
      "999999",
    );
    const anonymous = await fetch(`${h.url}/v1/admin/notifications?state=failed`);
    expect(anonymous.status).toBe(401);
    const pending = await h.pool.query(
      "SELECT count(*)::int AS n FROM notification_outbox WHERE state <> 'sent'",
    );
    expect(pending.rows[0].n).toBe(0);
  });
});
