/**
 * The license state decision: ONE pure function from the facts we hold about a license to its state.
 * Written as an ordered chain of named checks (first match wins), like cert-manager's policy chains, so
 * every rule has a name (the reason) and a table test. Time comes only from `now`.
 */
import { type LicenseState, type ProvisioningType, TIMING } from "../../lib/domain.js";

/** Stripe subscription statuses we act on (see https://docs.stripe.com/billing/subscriptions/overview). */
export type SubscriptionStatus =
  | "active"
  | "trialing"
  | "past_due"
  | "unpaid"
  | "canceled"
  | "incomplete"
  | "incomplete_expired"
  | "paused";

export interface AdminActions {
  revokedAt?: Date | null;
  suspendedAt?: Date | null;
  /** An admin extension: the license entitles at least until then. */
  extendedUntil?: Date | null;
}

export interface Dunning {
  /** When we first saw the subscription fail to pay (start of the grace period). */
  since: Date;
  failedAttempts: number;
}

export interface LicenseStateInput {
  provisioningType: ProvisioningType;
  /** Stripe's subscription status, refetched from Stripe; null for licenses not paid through Stripe. */
  subscriptionStatus: SubscriptionStatus | string | null;
  /** End of the paid period (paid) or of the granted period (pilot/trial/comp); null = never ends. */
  periodEnd: Date | null;
  /** Whether the subscription will renew at periodEnd (active and not cancel_at_period_end). */
  renews?: boolean;
  dunning: Dunning | null;
  /** Set once a charge of this license was fully refunded. */
  refundedAt?: Date | null;
  /** Set while a payment of this license is disputed (a chargeback is open). */
  disputedAt?: Date | null;
  /** Set once a dispute was lost (the payment went back to the cardholder). */
  disputeLostAt?: Date | null;
  adminActions: AdminActions;
  /** How long a past-due license keeps entitling before it is suspended. */
  paymentGraceMs: number;
  now: Date;
}

export interface LicenseDecision {
  state: LicenseState;
  /** CamelCase reason (the name of the rule that decided). */
  reason: string;
  /** The effective end of the entitlement, or null if it does not end. */
  expiresAt: Date | null;
  /** End of the payment grace period, while past due. */
  graceEndsAt: Date | null;
  /** True when an entitling license will end within TIMING.expiringSoonMs and will not renew. */
  expiringSoon: boolean;
}

/**
 * A renewing subscription's period end passes a little before Stripe reports the renewal; only after
 * this slack without a renewal do we treat the period as over (protects against lost webhooks too).
 */
export const RENEWAL_SLACK_MS = 2 * 24 * 60 * 60 * 1000;

/**
 * The failed-payment rule (ADR 0243): a past-due license keeps entitling while Stripe retries, until the
 * third failed attempt (the seeds: sessions end on the 3rd payment failure) or the end of the payment grace,
 * whichever comes first; then it is suspended. Stripe's final status (unpaid, or canceled for non-payment)
 * revokes it.
 */
export const FAILED_PAYMENT_ATTEMPTS_LIMIT = 3;

/** Subscription statuses after which Stripe will not collect again. */
const FINAL_UNPAID_STATUSES = new Set(["unpaid", "incomplete_expired"]);

function later(a: Date, b: Date | null | undefined): Date {
  return b && b.getTime() > a.getTime() ? b : a;
}

type Check = (input: LicenseStateInput, ctx: Context) => { state: LicenseState; reason: string } | null;
interface Context {
  expiresAt: Date | null;
  graceEndsAt: Date | null;
}

/** The ordered rules. The first that returns a verdict decides; the last always does. */
const CHECKS: readonly Check[] = [
  (i) => (i.adminActions.revokedAt ? { state: "revoked", reason: "AdminRevoked" } : null),
  (i) => (i.refundedAt ? { state: "revoked", reason: "Refunded" } : null),
  (i) => (i.disputeLostAt ? { state: "revoked", reason: "DisputeLost" } : null),
  // Revoke only at Stripe's final status after failed payments, never at the first failure.
  (i) =>
    i.subscriptionStatus !== null && FINAL_UNPAID_STATUSES.has(i.subscriptionStatus)
      ? { state: "revoked", reason: "PaymentFailed" }
      : null,
  (i) =>
    i.subscriptionStatus === "canceled" && i.dunning ? { state: "revoked", reason: "PaymentFailed" } : null,
  (i) => (i.adminActions.suspendedAt ? { state: "suspended", reason: "AdminSuspended" } : null),
  // A chargeback takes the money back while the bank decides: no service on it meanwhile (ADR 0242).
  (i) => (i.disputedAt ? { state: "suspended", reason: "PaymentDisputed" } : null),
  (i) => {
    const extended = i.adminActions.extendedUntil;
    if (i.subscriptionStatus !== "canceled") return null;
    return extended && extended > i.now
      ? { state: "active", reason: "AdminExtended" }
      : { state: "expired", reason: "SubscriptionCanceled" };
  },
  (i) => (i.subscriptionStatus === "paused" ? { state: "suspended", reason: "SubscriptionPaused" } : null),
  (i) => (i.subscriptionStatus === "incomplete" ? { state: "suspended", reason: "PaymentIncomplete" } : null),
  (i, c) => {
    if (i.subscriptionStatus !== "past_due" && !i.dunning) return null;
    if ((i.dunning?.failedAttempts ?? 0) >= FAILED_PAYMENT_ATTEMPTS_LIMIT) {
      return { state: "suspended", reason: "PaymentAttemptsExhausted" };
    }
    if (c.graceEndsAt && i.now < c.graceEndsAt) return { state: "pastDue", reason: "PaymentFailed" };
    return { state: "suspended", reason: "GracePeriodEnded" };
  },
  (i, c) => {
    if (!c.expiresAt) return null;
    const slack = i.renews ? RENEWAL_SLACK_MS : 0;
    return i.now.getTime() >= c.expiresAt.getTime() + slack
      ? { state: "expired", reason: i.renews ? "RenewalNotConfirmed" : "PeriodEnded" }
      : null;
  },
  (i) => {
    if (i.adminActions.extendedUntil && i.periodEnd && i.now >= i.periodEnd) {
      return { state: "active", reason: "AdminExtended" };
    }
    if (i.provisioningType !== "paid") return { state: "active", reason: "AdminGranted" };
    return { state: "active", reason: i.subscriptionStatus === "trialing" ? "Trialing" : "Paid" };
  },
];

/** Decides a license's state. Pure: same input, same output. */
export function decideLicenseState(input: LicenseStateInput): LicenseDecision {
  // A license without an end stays unending; an extension can only push an end later.
  const expiresAt =
    input.periodEnd === null ? null : later(input.periodEnd, input.adminActions.extendedUntil);
  const graceEndsAt = input.dunning ? new Date(input.dunning.since.getTime() + input.paymentGraceMs) : null;
  const ctx: Context = { expiresAt, graceEndsAt };
  let verdict: { state: LicenseState; reason: string } | null = null;
  for (const check of CHECKS) {
    verdict = check(input, ctx);
    if (verdict) break;
  }
  const { state, reason } = verdict!;
  const entitles = state === "active" || state === "pastDue";
  const expiringSoon =
    entitles &&
    expiresAt !== null &&
    !(input.renews && !input.adminActions.extendedUntil) &&
    expiresAt.getTime() - input.now.getTime() <= TIMING.expiringSoonMs;
  return { state, reason, expiresAt, graceEndsAt: state === "pastDue" ? graceEndsAt : null, expiringSoon };
}
