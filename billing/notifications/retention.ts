/**
 * Outbox retention (ADR 0250): a sent message is kept `sentRetentionDays` after it was sent (long enough
 * to answer "did the customer get the invitation?" from the admin API and the row's Message-ID), a failed
 * one `failedRetentionDays` after it was created (an operator must see it, retry it or let it go). Pending
 * messages are never purged: they are mail not yet delivered. Called by the retention sweep
 * (billing/ops/retention.ts); batches take their rows with SKIP LOCKED so replicas share the work and
 * never wait on a sender holding a row.
 */
import type { Queryable } from "../db/queryable.js";

const DAY_MS = 24 * 60 * 60 * 1000;

export interface OutboxRetention {
  sentRetentionDays: number;
  failedRetentionDays: number;
}

export const DEFAULT_OUTBOX_RETENTION: OutboxRetention = { sentRetentionDays: 30, failedRetentionDays: 90 };

/** The cut-offs of a pass (pure): sent before `sentBefore`, failed ones created before `failedBefore`. */
export function outboxCutoffs(now: Date, retention: OutboxRetention) {
  return {
    sentBefore: new Date(now.getTime() - retention.sentRetentionDays * DAY_MS),
    failedBefore: new Date(now.getTime() - retention.failedRetentionDays * DAY_MS),
  };
}

const PURGE_OUTBOX_SQL = `
WITH due AS (
  SELECT id FROM notification_outbox
   WHERE (state = 'sent' AND sent_at < $1) OR (state = 'failed' AND created_at < $2)
   LIMIT $3 FOR UPDATE SKIP LOCKED
), deleted AS (
  DELETE FROM notification_outbox o USING due WHERE o.id = due.id RETURNING o.state
)
SELECT state, count(*)::int AS n FROM deleted GROUP BY state`;

/** Deletes due messages in at most `maxBatches` statements of `batchSize` rows; returns counts by state. */
export async function purgeOldNotifications(
  db: Queryable,
  now: Date,
  retention: OutboxRetention,
  limits: { batchSize: number; maxBatches: number },
): Promise<{ sent: number; failed: number }> {
  const { sentBefore, failedBefore } = outboxCutoffs(now, retention);
  const purged = { sent: 0, failed: 0 };
  for (let batch = 0; batch < limits.maxBatches; batch++) {
    const result = await db.query<{ state: "sent" | "failed"; n: number }>(PURGE_OUTBOX_SQL, [
      sentBefore,
      failedBefore,
      limits.batchSize,
    ]);
    let deleted = 0;
    for (const { state, n } of result.rows) {
      purged[state] += n;
      deleted += n;
    }
    if (deleted < limits.batchSize) break;
  }
  return purged;
}
