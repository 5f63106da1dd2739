/**
 * The append-only audit log (table audit_events; UPDATE/DELETE are refused by a trigger).
 * Call recordAudit inside the transaction that makes the change, so the change and its record commit together.
 */
import type { Queryable } from "./db/queryable.js";

export interface AuditEvent {
  /** Who: `admin`, `stripe:<event id>`, `customer:checkout`, `system:resync`, … */
  actor: string;
  /** What, as a dotted verb: `license.created`, `license.revoked`, `license.state_changed`, … */
  action: string;
  licenseId: string | null;
  before: unknown;
  after: unknown;
  details?: Record<string, unknown>;
  at: Date;
}

export interface AuditRecord extends AuditEvent {
  id: string;
}

/** Appends one audit event. Never pass secrets (license keys): callers pass rows, which hold only hashes. */
export async function recordAudit(client: Queryable, event: AuditEvent): Promise<void> {
  const { text, values } = auditInsert(event);
  await client.query(text, values);
}

/**
 * The INSERT of one audit event with its parameters numbered from `$first`, for a statement that appends
 * the record together with the change it audits (billing/sessions/store.ts insertSessionAudited).
 */
export function auditInsert(event: AuditEvent, first = 1): { text: string; values: unknown[] } {
  const p = Array.from({ length: 7 }, (_, i) => `$${first + i}`);
  return {
    text: `INSERT INTO audit_events (at, actor, action, license_id, before, after, details)
     VALUES (${p.join(", ")})`,
    values: [
      event.at,
      event.actor,
      event.action,
      event.licenseId,
      event.before === null || event.before === undefined ? null : JSON.stringify(event.before),
      event.after === null || event.after === undefined ? null : JSON.stringify(event.after),
      event.details ? JSON.stringify(event.details) : null,
    ],
  };
}
