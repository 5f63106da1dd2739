/**
 * The transactional outbox (ADR 0210): enqueueNotification inserts the message row inside the caller's
 * transaction, so the message exists exactly when the change that causes it commits. Nothing here talks to
 * SMTP; the sender (sender.ts) delivers later, on any replica.
 */
import type { Queryable } from "../db/queryable.js";
import type { NotificationKind } from "./templates.js";

export const NOTIFICATION_STATES = ["pending", "sent", "failed"] as const;
export type NotificationState = (typeof NOTIFICATION_STATES)[number];

export interface NotificationRequest {
  kind: NotificationKind;
  to: string;
  licenseId?: string | null;
  /** Template inputs. Never a license key, token or any other secret. */
  data: Record<string, string | number | null>;
  /** A message with a key already enqueued is not enqueued again (e.g. one expiry warning per threshold). */
  dedupeKey?: string;
}

export interface NotificationRow {
  id: string;
  kind: NotificationKind;
  recipient: string;
  license_id: string | null;
  data: Record<string, string | number | null>;
  dedupe_key: string | null;
  state: NotificationState;
  attempts: number;
  next_attempt_at: Date;
  last_error: string | null;
  created_at: Date;
  sent_at: Date | null;
}

/** Inserts the message in `tx`; returns its id, or null when the dedupe key was already used. */
export async function enqueueNotification(
  tx: Queryable,
  message: NotificationRequest,
  now: Date,
): Promise<string | null> {
  const result = await tx.query<{ id: string }>(
    `INSERT INTO notification_outbox (kind, recipient, license_id, data, dedupe_key, next_attempt_at, created_at)
     VALUES ($1, $2, $3, $4, $5, $6, $6)
     ON CONFLICT (dedupe_key) DO NOTHING RETURNING id::text`,
    [
      message.kind,
      message.to,
      message.licenseId ?? null,
      JSON.stringify(message.data),
      message.dedupeKey ?? null,
      now,
    ],
  );
  return result.rows[0]?.id ?? null;
}

/** The admin view of a message: what it is, to whom, how delivery went. Template data stays internal. */
export function publicNotification(row: NotificationRow) {
  return {
    id: row.id,
    kind: row.kind,
    recipient: row.recipient,
    licenseId: row.license_id,
    state: row.state,
    attempts: row.attempts,
    nextAttemptAt: row.next_attempt_at.toISOString(),
    lastError: row.last_error,
    createdAt: row.created_at.toISOString(),
    sentAt: row.sent_at?.toISOString() ?? null,
  };
}

export async function listNotifications(
  db: Queryable,
  query: { state: NotificationState; limit: number; afterId?: string | undefined },
): Promise<NotificationRow[]> {
  const result = await db.query<NotificationRow>(
    `SELECT id::text AS id, kind, recipient, license_id, data, dedupe_key, state, attempts, next_attempt_at,
            last_error, created_at, sent_at
       FROM notification_outbox WHERE state = $1 AND id > $2 ORDER BY id LIMIT $3`,
    [query.state, query.afterId ?? "0", query.limit],
  );
  return result.rows;
}

/**
 * Puts a failed message back in the queue with a fresh attempt budget. Only `failed` messages: retrying a
 * pending one changes nothing and a sent one would be a second delivery. Returns the row, or the reason not.
 */
export async function retryFailed(
  db: Queryable,
  id: string,
  now: Date,
): Promise<NotificationRow | "not_found" | "not_failed"> {
  const result = await db.query<NotificationRow>(
    `UPDATE notification_outbox SET state = 'pending', attempts = 0, next_attempt_at = $2
      WHERE id = $1 AND state = 'failed'
      RETURNING id::text AS id, kind, recipient, license_id, data, dedupe_key, state, attempts,
                next_attempt_at, last_error, created_at, sent_at`,
    [id, now],
  );
  if (result.rows[0]) return result.rows[0];
  const exists = await db.query("SELECT 1 FROM notification_outbox WHERE id = $1", [id]);
  return exists.rowCount ? "not_failed" : "not_found";
}

export async function countByState(db: Queryable): Promise<Record<NotificationState, number>> {
  const result = await db.query<{ state: NotificationState; n: number }>(
    "SELECT state, count(*)::int AS n FROM notification_outbox GROUP BY state",
  );
  const counts = { pending: 0, sent: 0, failed: 0 };
  for (const row of result.rows) counts[row.state] = row.n;
  return counts;
}
