/**
 * Reads and writes of the licenses table. Every write goes through createLicense / updateLicense, which
 * re-decide the state from the stored facts, keep effective limits in step, and append the audit event in
 * the caller's transaction — so no code path can change a license without an audit record.
 */
import { randomUUID } from "node:crypto";
import { licenseStateEntitles } from "../../lib/domain.js";
import { type AuditEvent, recordAudit } from "../audit.js";
import type { Queryable } from "../db/queryable.js";
import { auditRegistryRevocation } from "../registry/audit.js";
import { terminateLicenseSessions } from "../sessions/release.js";
import { decisionInput, effectiveLimits, type LicenseRow, publicLicense } from "./row.js";
import { decideLicenseState } from "./state.js";

/** Facts that may be written; derived columns (state, limits, expiry…) are computed, never passed. */
export type LicenseFacts = Omit<
  LicenseRow,
  | "id"
  | "state"
  | "state_reason"
  | "expiring_soon"
  | "max_containers"
  | "seats"
  | "expires_at"
  | "grace_ends_at"
  | "created_at"
  | "updated_at"
>;

export interface ChangeContext {
  actor: string;
  action: string;
  now: Date;
  paymentGraceMs: number;
  details?: Record<string, unknown>;
}

/** Fills the derived columns of a row from its facts. */
function derive(
  facts: LicenseFacts & Pick<LicenseRow, "id" | "created_at">,
  now: Date,
  graceMs: number,
): LicenseRow {
  const draft = { ...facts, updated_at: now } as LicenseRow;
  const decision = decideLicenseState(decisionInput(draft, now, graceMs));
  const limits = effectiveLimits(draft);
  return {
    ...draft,
    state: decision.state,
    state_reason: decision.reason,
    expiring_soon: decision.expiringSoon,
    expires_at: decision.expiresAt,
    grace_ends_at: decision.graceEndsAt,
    seats: limits.seats,
    max_containers: limits.maxContainers,
  };
}

const WRITABLE_COLUMNS: (keyof LicenseRow)[] = [
  "organization",
  "tier",
  "state",
  "state_reason",
  "expiring_soon",
  "max_containers",
  "seats",
  "expires_at",
  "grace_ends_at",
  "key_hash",
  "key_issued_at",
  "provisioning_type",
  "workstation_tier",
  "customer_email",
  "notes",
  "created_by",
  "stripe_customer_id",
  "stripe_subscription_id",
  "stripe_checkout_session_id",
  "subscription_status",
  "cancel_at_period_end",
  "period_end",
  "purchased_seats",
  "dunning_since",
  "failed_payment_attempts",
  "refunded_at",
  "admin_revoked_at",
  "admin_suspended_at",
  "extended_until",
  "seats_override",
  "max_containers_override",
  "updated_at",
  "disputed_at",
  "dispute_lost_at",
];

function sameValue(a: unknown, b: unknown): boolean {
  // Optional columns (disputed_at…) are undefined on rows built in code and null on rows read back.
  if ((a === undefined || a === null) && (b === undefined || b === null)) return true;
  if (a instanceof Date || b instanceof Date) {
    return a instanceof Date && b instanceof Date ? a.getTime() === b.getTime() : false;
  }
  return a === b;
}

/** Inserts a new license and audits `license.created`. Returns the stored row. */
export async function createLicense(
  tx: Queryable,
  facts: LicenseFacts,
  ctx: ChangeContext,
  options: { onConflictColumn?: "stripe_checkout_session_id" } = {},
): Promise<LicenseRow | null> {
  const row = derive({ ...facts, id: randomUUID(), created_at: ctx.now }, ctx.now, ctx.paymentGraceMs);
  const columns = ["id", "created_at", ...WRITABLE_COLUMNS];
  const values = columns.map((c) => row[c as keyof LicenseRow]);
  const conflict = options.onConflictColumn ? `ON CONFLICT (${options.onConflictColumn}) DO NOTHING` : "";
  const result = await tx.query<LicenseRow>(
    `INSERT INTO licenses (${columns.join(", ")}) VALUES (${columns.map((_, i) => `$${i + 1}`).join(", ")})
     ${conflict} RETURNING *`,
    values,
  );
  const stored = result.rows[0];
  if (!stored) return null;
  await recordAudit(tx, audit(ctx, stored.id, null, stored));
  return stored;
}

/** CamelCase reason written to the sessions a license ends, by the state that ends them. */
const SESSION_END_REASON: Record<string, string> = {
  revoked: "LicenseRevoked",
  suspended: "LicenseSuspended",
  expired: "LicenseExpired",
};

/**
 * Applies fact changes to a locked row (get it with getLicense(…, {forUpdate: true})), re-decides and
 * audits. A change that alters nothing writes nothing. When the license stops entitling (admin revoke or
 * suspend, Stripe cancellation, the expiry sweep), its active container sessions end in the same
 * transaction, so their seats are free the moment the change commits. Returns the row after the change.
 */
export async function updateLicense(
  tx: Queryable,
  before: LicenseRow,
  changes: Partial<LicenseFacts>,
  ctx: ChangeContext,
): Promise<LicenseRow> {
  const next = derive({ ...before, ...changes }, ctx.now, ctx.paymentGraceMs);
  const changed = WRITABLE_COLUMNS.filter((c) => c !== "updated_at" && !sameValue(before[c], next[c]));
  if (changed.length === 0) return before;
  const result = await tx.query<LicenseRow>(
    `UPDATE licenses SET ${WRITABLE_COLUMNS.map((c, i) => `${c} = $${i + 2}`).join(", ")} WHERE id = $1 RETURNING *`,
    [before.id, ...WRITABLE_COLUMNS.map((c) => next[c])],
  );
  const after = result.rows[0]!;
  await recordAudit(tx, audit(ctx, after.id, before, after));
  if (licenseStateEntitles(before.state) && !licenseStateEntitles(after.state)) {
    await terminateLicenseSessions(tx, after.id, SESSION_END_REASON[after.state] ?? "LicenseEnded", ctx.now);
    // Issue 15: no new registry credential from this commit; audit how many issued ones stay valid.
    await auditRegistryRevocation(tx, {
      licenseId: after.id,
      state: after.state,
      reason: after.state_reason,
      actor: ctx.actor,
      now: ctx.now,
    });
  }
  return after;
}

function audit(
  ctx: ChangeContext,
  licenseId: string,
  before: LicenseRow | null,
  after: LicenseRow | null,
): AuditEvent {
  const event: AuditEvent = {
    at: ctx.now,
    actor: ctx.actor,
    action: ctx.action,
    licenseId,
    before: before ? publicLicense(before) : null,
    after: after ? publicLicense(after) : null,
  };
  if (ctx.details) event.details = ctx.details;
  return event;
}

export async function getLicense(
  q: Queryable,
  id: string,
  options: { forUpdate?: boolean } = {},
): Promise<LicenseRow | null> {
  const result = await q.query<LicenseRow>(
    `SELECT * FROM licenses WHERE id = $1 ${options.forUpdate ? "FOR UPDATE" : ""}`,
    [id],
  );
  return result.rows[0] ?? null;
}

export async function getLicenseBySubscription(
  q: Queryable,
  subscriptionId: string,
  options: { forUpdate?: boolean } = {},
): Promise<LicenseRow | null> {
  const result = await q.query<LicenseRow>(
    `SELECT * FROM licenses WHERE stripe_subscription_id = $1 ${options.forUpdate ? "FOR UPDATE" : ""}`,
    [subscriptionId],
  );
  return result.rows[0] ?? null;
}

/** Deletes a license (purge) and audits `license.purged`. Its workstation rows go with it (FK cascade). */
export async function purgeLicense(tx: Queryable, before: LicenseRow, ctx: ChangeContext): Promise<void> {
  await tx.query("DELETE FROM licenses WHERE id = $1", [before.id]);
  await recordAudit(tx, audit(ctx, before.id, before, null));
}
