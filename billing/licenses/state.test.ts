import { describe, expect, it } from "vitest";
import { TIMING } from "../../lib/domain.js";
import { decideLicenseState, type LicenseStateInput, RENEWAL_SLACK_MS } from "./state.js";

const DAY = 24 * 60 * 60 * 1000;
const NOW = new Date("2026-06-15T12:00:00Z");
const at = (days: number) => new Date(NOW.getTime() + days * DAY);

const paid = (over: Partial<LicenseStateInput> = {}): LicenseStateInput => ({
  provisioningType: "paid",
  subscriptionStatus: "active",
  periodEnd: at(20),
  renews: true,
  dunning: null,
  refundedAt: null,
  adminActions: {},
  paymentGraceMs: 7 * DAY,
  now: NOW,
  ...over,
});

const granted = (over: Partial<LicenseStateInput> = {}): LicenseStateInput =>
  paid({ provisioningType: "pilot", subscriptionStatus: null, renews: false, periodEnd: at(30), ...over });

describe("decideLicenseState", () => {
  const table: [string, LicenseStateInput, string, string][] = [
    ["paid active subscription", paid(), "active", "Paid"],
    ["trialing subscription", paid({ subscriptionStatus: "trialing" }), "active", "Trialing"],
    [
      "renewing subscription shortly past period end (renewal not yet reported)",
      paid({ periodEnd: at(-1) }),
      "active",
      "Paid",
    ],
    [
      "renewing subscription long past period end",
      paid({ periodEnd: new Date(NOW.getTime() - RENEWAL_SLACK_MS) }),
      "expired",
      "RenewalNotConfirmed",
    ],
    [
      "cancel at period end, period over",
      paid({ renews: false, periodEnd: at(-1) }),
      "expired",
      "PeriodEnded",
    ],
    [
      "past due within grace",
      paid({ subscriptionStatus: "past_due", dunning: { since: at(-3), failedAttempts: 1 } }),
      "pastDue",
      "PaymentFailed",
    ],
    [
      "past due after grace, two failed attempts",
      paid({ subscriptionStatus: "past_due", dunning: { since: at(-8), failedAttempts: 2 } }),
      "suspended",
      "GracePeriodEnded",
    ],
    // The failed-payment rule (ADR 0243): the third failed attempt or the grace end, whichever is first.
    [
      "past due within grace, second failed attempt",
      paid({ subscriptionStatus: "past_due", dunning: { since: at(-2), failedAttempts: 2 } }),
      "pastDue",
      "PaymentFailed",
    ],
    [
      "past due within grace, third failed attempt",
      paid({ subscriptionStatus: "past_due", dunning: { since: at(-2), failedAttempts: 3 } }),
      "suspended",
      "PaymentAttemptsExhausted",
    ],
    [
      "open invoice failed three times while the subscription still says active",
      paid({ subscriptionStatus: "active", dunning: { since: at(-1), failedAttempts: 4 } }),
      "suspended",
      "PaymentAttemptsExhausted",
    ],
    [
      "third attempt, but Stripe already gave up (unpaid) → revoked",
      paid({ subscriptionStatus: "unpaid", dunning: { since: at(-2), failedAttempts: 3 } }),
      "revoked",
      "PaymentFailed",
    ],
    ["payment disputed", paid({ disputedAt: at(-1) }), "suspended", "PaymentDisputed"],
    [
      "payment disputed beats past due",
      paid({
        disputedAt: at(-1),
        subscriptionStatus: "past_due",
        dunning: { since: at(-1), failedAttempts: 1 },
      }),
      "suspended",
      "PaymentDisputed",
    ],
    ["dispute lost", paid({ disputeLostAt: at(-1) }), "revoked", "DisputeLost"],
    [
      "admin revoke beats a lost dispute",
      paid({ disputeLostAt: at(-1), adminActions: { revokedAt: at(-2) } }),
      "revoked",
      "AdminRevoked",
    ],
    [
      "unpaid is Stripe's final status after failed payments",
      paid({ subscriptionStatus: "unpaid", dunning: { since: at(-20), failedAttempts: 4 } }),
      "revoked",
      "PaymentFailed",
    ],
    [
      "canceled after failed payments",
      paid({ subscriptionStatus: "canceled", dunning: { since: at(-20), failedAttempts: 4 } }),
      "revoked",
      "PaymentFailed",
    ],
    ["canceled by the customer", paid({ subscriptionStatus: "canceled" }), "expired", "SubscriptionCanceled"],
    [
      "canceled but extended by an admin",
      paid({ subscriptionStatus: "canceled", adminActions: { extendedUntil: at(10) } }),
      "active",
      "AdminExtended",
    ],
    ["incomplete_expired", paid({ subscriptionStatus: "incomplete_expired" }), "revoked", "PaymentFailed"],
    [
      "incomplete first payment",
      paid({ subscriptionStatus: "incomplete" }),
      "suspended",
      "PaymentIncomplete",
    ],
    ["paused subscription", paid({ subscriptionStatus: "paused" }), "suspended", "SubscriptionPaused"],
    ["fully refunded", paid({ refundedAt: at(-1) }), "revoked", "Refunded"],
    [
      "admin revoked beats everything",
      paid({ adminActions: { revokedAt: at(-1) } }),
      "revoked",
      "AdminRevoked",
    ],
    [
      "admin suspended",
      paid({ adminActions: { suspendedAt: at(-1), extendedUntil: at(40) } }),
      "suspended",
      "AdminSuspended",
    ],
    [
      "admin revoke beats refund",
      paid({ refundedAt: at(-1), adminActions: { revokedAt: at(-2) } }),
      "revoked",
      "AdminRevoked",
    ],
    ["pilot within its period", granted(), "active", "AdminGranted"],
    ["pilot past its period", granted({ periodEnd: at(-1) }), "expired", "PeriodEnded"],
    [
      "pilot past its period but extended",
      granted({ periodEnd: at(-1), adminActions: { extendedUntil: at(5) } }),
      "active",
      "AdminExtended",
    ],
    [
      "internal license without an end",
      granted({ provisioningType: "internal", periodEnd: null }),
      "active",
      "AdminGranted",
    ],
  ];

  it.each(table)("%s → %s (%s)", (_name, input, state, reason) => {
    const decision = decideLicenseState(input);
    expect(decision.state).toBe(state);
    expect(decision.reason).toBe(reason);
  });

  it("reports the grace end only while past due", () => {
    const pastDue = decideLicenseState(
      paid({ subscriptionStatus: "past_due", dunning: { since: at(-3), failedAttempts: 1 } }),
    );
    expect(pastDue.graceEndsAt).toEqual(at(4));
    const suspended = decideLicenseState(
      paid({ subscriptionStatus: "past_due", dunning: { since: at(-8), failedAttempts: 1 } }),
    );
    expect(suspended.graceEndsAt).toBeNull();
  });

  it("uses the later of period end and admin extension as the expiry", () => {
    expect(decideLicenseState(granted({ adminActions: { extendedUntil: at(60) } })).expiresAt).toEqual(
      at(60),
    );
    expect(decideLicenseState(granted({ adminActions: { extendedUntil: at(10) } })).expiresAt).toEqual(
      at(30),
    );
    expect(
      decideLicenseState(granted({ provisioningType: "internal", periodEnd: null })).expiresAt,
    ).toBeNull();
  });

  describe("expiringSoon", () => {
    const soon = TIMING.expiringSoonMs / DAY;
    it.each([
      ["non-renewing license inside the warning window", granted({ periodEnd: at(soon - 1) }), true],
      ["non-renewing license outside the window", granted({ periodEnd: at(soon + 1) }), false],
      ["renewing subscription near its period end", paid({ periodEnd: at(2) }), false],
      ["subscription set to cancel at period end", paid({ renews: false, periodEnd: at(2) }), true],
      ["expired license", granted({ periodEnd: at(-1) }), false],
      ["license without an end", granted({ periodEnd: null }), false],
    ])("%s → %s", (_name, input, expected) => {
      expect(decideLicenseState(input).expiringSoon).toBe(expected);
    });
  });

  it("is pure: the same input gives the same decision", () => {
    const input = paid({ subscriptionStatus: "past_due", dunning: { since: at(-1), failedAttempts: 1 } });
    expect(decideLicenseState(input)).toEqual(decideLicenseState(structuredClone(input)));
  });
});
