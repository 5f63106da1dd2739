/**
 * Admin overrides as functions over a transaction: each locks the license row, applies one change through
 * updateLicense (which re-decides the state and writes the audit event) and returns the row after it.
 */

import type { z } from "zod";
import { LICENSE_TIERS } from "../../lib/domain.js";
import { adminWorkstationName } from "../cluster/names.js";
import type { Queryable } from "../db/queryable.js";
import { ApiError } from "../http/errors.js";
import { generateLicenseKey, hashLicenseKey } from "../licenses/keys.js";
import type { LicenseRow } from "../licenses/row.js";
import {
  type ChangeContext,
  createLicense,
  getLicense,
  type LicenseFacts,
  purgeLicense,
  updateLicense,
} from "../licenses/store.js";
import { adminRestricted, keyRotated, notifyLicense } from "../notifications/license-events.js";
import { endKeyBoundSessions } from "../sessions/key-rotation.js";
import type { SessionRow } from "../sessions/store.js";
import type { createLicenseRequest } from "./schemas.js";

const DAY_MS = 24 * 60 * 60 * 1000;

export async function lockedLicense(tx: Queryable, id: string): Promise<LicenseRow> {
  const row = await getLicense(tx, id, { forUpdate: true });
  if (!row) throw new ApiError(404, "license_not_found", `no license ${id}`);
  return row;
}

/** Creates a license without payment (pilot / trial / comp / internal). Returns the key once. */
export async function createGrantedLicense(
  tx: Queryable,
  body: z.infer<typeof createLicenseRequest>,
  ctx: ChangeContext,
): Promise<{ license: LicenseRow; key: string }> {
  const key = generateLicenseKey(body.tier);
  const mc = body.maxContainers;
  const tierDefault = LICENSE_TIERS[body.tier].maxContainers;
  const override = mc === undefined ? null : mc === "unlimited" ? (tierDefault === null ? null : -1) : mc;
  const facts: LicenseFacts = {
    organization: body.organization,
    tier: body.tier,
    key_hash: hashLicenseKey(key),
    key_issued_at: ctx.now,
    provisioning_type: body.provisioningType,
    workstation_tier: body.workstationTier ?? null,
    customer_email: body.customerEmail,
    notes: body.notes ?? null,
    created_by: ctx.actor,
    stripe_customer_id: null,
    stripe_subscription_id: null,
    stripe_checkout_session_id: null,
    subscription_status: null,
    cancel_at_period_end: false,
    period_end:
      body.durationDays === undefined ? null : new Date(ctx.now.getTime() + body.durationDays * DAY_MS),
    purchased_seats: body.seats,
    dunning_since: null,
    failed_payment_attempts: 0,
    refunded_at: null,
    admin_revoked_at: null,
    admin_suspended_at: null,
    extended_until: null,
    seats_override: null,
    max_containers_override: override,
  };
  const license = (await createLicense(tx, facts, ctx))!;
  for (let n = 1; n <= body.workstations; n++) {
    await tx.query(
      // Assigned to the customer's user record when it exists (the admin route creates it first: ADR 0251).
      `INSERT INTO provisioned_workstations (name, namespace, license_id, tier, user_email, created_at, assignee_user_id)
       VALUES ($1, $2, $3, $4, $5, $6, (SELECT id FROM users WHERE email = lower($5)))`,
      [
        adminWorkstationName(license.id, n),
        license.organization,
        license.id,
        body.workstationTier,
        body.customerEmail,
        ctx.now,
      ],
    );
  }
  return { license, key };
}

/** The customer is mailed (outbox, same transaction) the first time; repeating the call changes nothing. */
export async function revoke(tx: Queryable, row: LicenseRow, ctx: ChangeContext): Promise<LicenseRow> {
  const after = await updateLicense(tx, row, { admin_revoked_at: row.admin_revoked_at ?? ctx.now }, ctx);
  if (!row.admin_revoked_at) {
    await notifyLicense(tx, after, adminRestricted(after, "license_revoked", ctx.now), ctx.now);
  }
  return after;
}

export async function suspend(tx: Queryable, row: LicenseRow, ctx: ChangeContext): Promise<LicenseRow> {
  const after = await updateLicense(tx, row, { admin_suspended_at: row.admin_suspended_at ?? ctx.now }, ctx);
  if (!row.admin_suspended_at) {
    await notifyLicense(tx, after, adminRestricted(after, "license_suspended", ctx.now), ctx.now);
  }
  return after;
}

/** Clears admin suspension and admin revocation. Stripe-derived states (refund, non-payment) stay. */
export async function reinstate(tx: Queryable, row: LicenseRow, ctx: ChangeContext): Promise<LicenseRow> {
  if (!row.admin_revoked_at && !row.admin_suspended_at) {
    throw new ApiError(
      409,
      "not_admin_restricted",
      `license ${row.id} is not suspended or revoked by an admin (state ${row.state}, reason ${row.state_reason})`,
    );
  }
  return updateLicense(tx, row, { admin_revoked_at: null, admin_suspended_at: null }, ctx);
}

/** Pushes the entitlement end `days` later, counted from the current end or from now if already past. */
export async function extend(
  tx: Queryable,
  row: LicenseRow,
  days: number,
  ctx: ChangeContext,
): Promise<LicenseRow> {
  if (row.period_end === null) {
    throw new ApiError(
      409,
      "license_does_not_expire",
      `license ${row.id} has no end date; there is nothing to extend`,
    );
  }
  const currentEnd = Math.max(row.expires_at?.getTime() ?? 0, ctx.now.getTime());
  return updateLicense(tx, row, { extended_until: new Date(currentEnd + days * DAY_MS) }, ctx);
}

export async function setOverrides(
  tx: Queryable,
  row: LicenseRow,
  changes: { seats?: number | null | undefined; maxContainers?: number | "unlimited" | null | undefined },
  ctx: ChangeContext,
): Promise<LicenseRow> {
  const facts: Partial<LicenseFacts> = {};
  if (changes.seats !== undefined) facts.seats_override = changes.seats;
  if (changes.maxContainers !== undefined) {
    facts.max_containers_override = changes.maxContainers === "unlimited" ? -1 : changes.maxContainers;
  }
  return updateLicense(tx, row, facts, ctx);
}

/**
 * Replaces the license key; the old key stops working immediately and every container session validated
 * with it ends now (KeyRotated), so a leaked key stops running containers, not only new ones (issue 13 §8).
 * The rotation's audit record carries how many sessions ended. Returns the new key once.
 */
export async function rotateKey(
  tx: Queryable,
  row: LicenseRow,
  ctx: ChangeContext,
): Promise<{ license: LicenseRow; key: string; endedSessions: SessionRow[] }> {
  const key = generateLicenseKey(row.tier);
  const endedSessions = await endKeyBoundSessions(tx, row.id, ctx.actor, ctx.now);
  const license = await updateLicense(
    tx,
    row,
    { key_hash: hashLicenseKey(key), key_issued_at: ctx.now },
    { ...ctx, details: { ...ctx.details, endedSessions: endedSessions.length } },
  );
  // Tells the customer the old key stopped working; never carries the new key (it is shown once, above).
  await notifyLicense(tx, license, keyRotated(license, ctx.now), ctx.now);
  return { license, key, endedSessions };
}

/** Deletes a license that no longer entitles (revoked or expired); its License resource is removed after commit. */
export async function purge(tx: Queryable, row: LicenseRow, ctx: ChangeContext): Promise<void> {
  if (row.state !== "revoked" && row.state !== "expired") {
    throw new ApiError(
      409,
      "license_entitles",
      `license ${row.id} is ${row.state}; revoke it (or let it expire) before purging`,
    );
  }
  await purgeLicense(tx, row, ctx);
}
