/**
 * The organization overview (issue 16 §1): each license with its state in plain words, seats used/total,
 * containers in use/limit, expiry and warnings. `licenseOverview` is the pure part (table-tested); the
 * counts come from one query: seats = seat_assignments rows, containers = live sessions (active and
 * heartbeated within the expiry window, as admission counts them: billing/sessions/decide.ts liveSince).
 */
import { TIMING } from "../../../lib/domain.js";
import type { Queryable } from "../../db/queryable.js";
import type { LicenseRow } from "../../licenses/row.js";
import { liveSince } from "../../sessions/decide.js";

/** The license state machine's reasons (billing/licenses/state.ts), as a customer reads them. */
const REASON_WORDS: Record<string, string> = {
  Paid: "paid and active",
  Trialing: "in its trial period",
  AdminGranted: "granted by Coditect",
  AdminExtended: "extended by Coditect",
  PaymentFailed: "a payment failed",
  GracePeriodEnded: "a payment failed and the grace period ended",
  AdminRevoked: "revoked by Coditect",
  AdminSuspended: "suspended by Coditect",
  Refunded: "refunded",
  SubscriptionCanceled: "the subscription was canceled",
  SubscriptionPaused: "the subscription is paused",
  PaymentIncomplete: "the first payment is not complete",
  RenewalNotConfirmed: "the renewal was not confirmed",
  PeriodEnded: "the paid period ended",
};

export const reasonInWords = (reason: string) => REASON_WORDS[reason] ?? reason;

export type OverviewWarning =
  | { code: "past_due"; message: string; graceEndsAt: string | null }
  | { code: "expiring"; message: string; expiresAt: string }
  | { code: "suspended" | "revoked" | "expired"; message: string };

export interface LicenseCounts {
  seatsUsed: number;
  containersInUse: number;
}

export function licenseOverview(license: LicenseRow, counts: LicenseCounts, now: Date) {
  const warnings: OverviewWarning[] = [];
  const reason = reasonInWords(license.state_reason);
  if (license.state === "pastDue") {
    const until = license.grace_ends_at?.toISOString() ?? null;
    warnings.push({
      code: "past_due",
      message: `a payment failed; access continues${until ? ` until ${until}` : ""} — update the payment method`,
      graceEndsAt: until,
    });
  }
  if (license.state === "suspended" || license.state === "revoked" || license.state === "expired") {
    warnings.push({ code: license.state, message: `the license is ${license.state}: ${reason}` });
  }
  const expiresAt = license.expires_at;
  if (
    expiresAt &&
    (license.state === "active" || license.state === "pastDue") &&
    expiresAt.getTime() > now.getTime() &&
    expiresAt.getTime() - now.getTime() <= TIMING.expiringSoonMs
  ) {
    warnings.push({
      code: "expiring",
      message: `the license expires on ${expiresAt.toISOString()}`,
      expiresAt: expiresAt.toISOString(),
    });
  }
  return {
    id: license.id,
    tier: license.tier,
    state: license.state,
    stateReason: license.state_reason,
    stateExplanation: reason,
    expiresAt: expiresAt?.toISOString() ?? null,
    workstationTier: license.workstation_tier,
    seats: { used: counts.seatsUsed, total: license.seats },
    // null = no limit (Enterprise)
    containers: { inUse: counts.containersInUse, limit: license.max_containers },
    keyIssuedAt: license.key_issued_at?.toISOString() ?? null,
    warnings,
  };
}

export async function organizationOverview(db: Queryable, organization: string, now: Date) {
  const result = await db.query<LicenseRow & { seats_used: number; containers_in_use: number }>(
    `SELECT l.*,
            (SELECT count(*)::int FROM seat_assignments s WHERE s.license_id = l.id) AS seats_used,
            (SELECT count(*)::int FROM container_sessions c
              WHERE c.license_id = l.id AND c.state = 'active' AND c.last_heartbeat_at > $2) AS containers_in_use
       FROM licenses l WHERE l.organization = $1 ORDER BY l.created_at, l.id`,
    [organization, liveSince(now, TIMING)],
  );
  return result.rows.map((row) =>
    licenseOverview(row, { seatsUsed: row.seats_used, containersInUse: row.containers_in_use }, now),
  );
}
