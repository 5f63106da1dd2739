/**
 * Retention of sign-in rows (issue 16, ADR 0220), run by the retention sweep (billing/ops/retention.ts):
 * a magic link goes once it has expired (used or not: until then a second use answers `link_used` rather
 * than `link_invalid`); an account session goes once it ended, expired or went idle — nothing revives it.
 * Batched with SKIP LOCKED like the sweep's other tables, so replicas share the work.
 */
import type { Queryable } from "../../db/queryable.js";
import { IDLE_TIMEOUT_MS } from "../account-session.js";

const PURGE_LINKS_SQL = `
DELETE FROM magic_links WHERE token_hash IN (
  SELECT token_hash FROM magic_links WHERE expires_at <= $1 LIMIT $2 FOR UPDATE SKIP LOCKED)`;

const PURGE_SESSIONS_SQL = `
DELETE FROM account_sessions WHERE token_hash IN (
  SELECT token_hash FROM account_sessions
   WHERE ended_at IS NOT NULL OR expires_at <= $1 OR last_seen_at <= $2
   LIMIT $3 FOR UPDATE SKIP LOCKED)`;

export interface SignInPurgeReport {
  magicLinks: number;
  accountSessions: number;
}

export async function purgeSignInRows(
  db: Queryable,
  now: Date,
  batchSize: number,
  maxBatches: number,
): Promise<SignInPurgeReport> {
  const report: SignInPurgeReport = { magicLinks: 0, accountSessions: 0 };
  const idleBefore = new Date(now.getTime() - IDLE_TIMEOUT_MS);
  for (let batch = 0; batch < maxBatches; batch++) {
    const n = (await db.query(PURGE_LINKS_SQL, [now, batchSize])).rowCount ?? 0;
    report.magicLinks += n;
    if (n < batchSize) break;
  }
  for (let batch = 0; batch < maxBatches; batch++) {
    const n = (await db.query(PURGE_SESSIONS_SQL, [now, idleBefore, batchSize])).rowCount ?? 0;
    report.accountSessions += n;
    if (n < batchSize) break;
  }
  return report;
}
