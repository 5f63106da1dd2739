/**
 * The expiry warnings (issue 16 §3): a periodic scan mails a license's customer 7 days and 1 day before
 * its end, once per license per threshold per end date (the dedupe key holds the end date, so an extended
 * license that approaches its new end is warned again). Only licenses that will really end are warned:
 * granted licenses with an end date, and subscriptions set to cancel at the period end. A subscription that
 * renews would otherwise be warned before every renewal.
 * Several replicas may scan at once: the dedupe key's unique index lets exactly one insert win.
 */
import type { Logger } from "pino";
import type { Clock } from "../../lib/clock.js";
import { type PeriodicTask, startPeriodic } from "../../lib/periodic.js";
import type { Db } from "../deps.js";
import type { LicenseRow } from "../licenses/row.js";
import { enqueueNotification } from "./outbox.js";

const DAY_MS = 24 * 60 * 60 * 1000;
export const EXPIRY_THRESHOLDS_DAYS = [1, 7] as const;

/** The smallest threshold the remaining time is within, or null when none (or already ended). */
export function expiryThreshold(expiresAt: Date, now: Date): (typeof EXPIRY_THRESHOLDS_DAYS)[number] | null {
  const remaining = expiresAt.getTime() - now.getTime();
  if (remaining <= 0) return null;
  return EXPIRY_THRESHOLDS_DAYS.find((days) => remaining <= days * DAY_MS) ?? null;
}

/** One pass: enqueues the warnings due now; returns how many were new. */
export async function scanExpiringLicenses(db: Db, now: Date): Promise<number> {
  const candidates = await db.query<LicenseRow>(
    `SELECT * FROM licenses
      WHERE state IN ('active', 'pastDue') AND expires_at > $1 AND expires_at <= $2 AND customer_email <> ''
        AND (stripe_subscription_id IS NULL OR cancel_at_period_end)`,
    [now, new Date(now.getTime() + 7 * DAY_MS)],
  );
  let enqueued = 0;
  for (const license of candidates.rows) {
    const days = expiryThreshold(license.expires_at!, now);
    if (days === null) continue;
    const expiresAt = license.expires_at!.toISOString();
    const id = await enqueueNotification(
      db,
      {
        kind: "license_expiring",
        to: license.customer_email,
        licenseId: license.id,
        // The subject names the days really left (a license granted for 3 days gets its 7-day warning at once).
        data: {
          licenseId: license.id,
          organization: license.organization,
          days: Math.ceil((license.expires_at!.getTime() - now.getTime()) / DAY_MS),
          expiresAt,
        },
        dedupeKey: `license_expiring:${license.id}:${days}d:${expiresAt}`,
      },
      now,
    );
    if (id) enqueued++;
  }
  return enqueued;
}

export function startExpiryScan(
  deps: { db: Db; clock: Clock; logger: Logger },
  intervalMs: number,
): PeriodicTask<number> {
  return startPeriodic(async () => {
    try {
      return await scanExpiringLicenses(deps.db, deps.clock.now());
    } catch (err) {
      deps.logger.warn({ err }, "license expiry scan failed; the next pass retries");
      return 0;
    }
  }, intervalMs);
}
