/**
 * The retention sweep (issue 13 L4, ADR 0162): ended container-session rows are deleted once nothing can
 * bring them back, and finished rate-limit windows (ADR 0160) are deleted, so neither table grows without
 * bound. Every billing replica runs it (lib/periodic.ts: never overlapping itself); batches take their rows
 * with SKIP LOCKED, so replicas share the work instead of waiting on each other. Bounded: at most
 * `batchSize` rows per statement and `maxBatches` statements per table per pass.
 *
 * When a session row may go (ADR 0070's retention, by kind of end):
 *   released, terminated → 24 h after it ended (nothing revives them);
 *   expired              → the later of 24 h after it ended and the longest offline token any tier gets
 *                          (last heartbeat + LONGEST_OFFLINE_GRACE_MS, 7 days): until then the container may
 *                          come back and be re-admitted (a row deleted earlier answers an enterprise container
 *                          back after 4 days with 401 invalid_session_token);
 *   active but silent    → last heartbeat older than that grace: its seat lapsed 30 minutes after that
 *                          heartbeat, its offline token has expired and its session token is past its
 *                          lifetime, so nothing can revive it. Only the operator recorded that end (a
 *                          SessionEnded Event); the sweep audits it (`session.expired`, one record per
 *                          license and batch) in the statement that deletes the rows.
 *
 * Notification messages (ADR 0250, billing/notifications/retention.ts): sent ones 30 days after sending,
 * failed ones 90 days after they were created; pending ones never.
 */
import { Counter, type Registry } from "prom-client";
import { LONGEST_OFFLINE_GRACE_MS, TIMING } from "../../lib/domain.js";
import { type PeriodicTask, startPeriodic } from "../../lib/periodic.js";
import { purgeSignInRows, type SignInPurgeReport } from "../accounts/auth/cleanup.js";
import type { BillingDeps, Db } from "../deps.js";
import {
  DEFAULT_OUTBOX_RETENTION,
  type OutboxRetention,
  purgeOldNotifications,
} from "../notifications/retention.js";
import { deleteFinishedWindows } from "../sessions/rate-limit-postgres.js";

export interface RetentionPolicy {
  /** Released and terminated sessions are kept this long after they ended. */
  endedRetentionMs: number;
  /**
   * An expired (or silent) session can come back on its offline token until last heartbeat + this: the
   * longest grace of any tier, so no tier's token outlives its row.
   */
  offlineGraceMs: number;
  batchSize: number;
  maxBatches: number;
  /** Sent and failed notification messages (ADR 0250); pending ones are never purged. */
  outbox?: OutboxRetention;
}

export const DEFAULT_RETENTION_POLICY: RetentionPolicy = {
  endedRetentionMs: TIMING.endedSessionRetentionMs,
  offlineGraceMs: LONGEST_OFFLINE_GRACE_MS,
  batchSize: 500,
  maxBatches: 20,
};

/** Rate-limit windows are finished once their end has passed; the table is swept this often too. */
export const RETENTION_SWEEP_INTERVAL_MS = 60_000;

/** The two cut-offs a pass deletes by (pure, so the policy reads as arithmetic). */
export function retentionCutoffs(now: Date, policy: RetentionPolicy) {
  return {
    /** Sessions that ended before this (released, terminated; expired too if also past the grace). */
    endedBefore: new Date(now.getTime() - policy.endedRetentionMs),
    /** Sessions last heard from before this can no longer come back on an offline token. */
    lastHeartbeatBefore: new Date(now.getTime() - policy.offlineGraceMs),
  };
}

// One batch: pick due rows (any replica's concurrent pass skips them), delete them, audit the silent ones,
// and report what went by state. Data-modifying CTEs all run, whatever the final SELECT reads.
const PURGE_SESSIONS_SQL = `
WITH due AS (
  SELECT id FROM container_sessions
   WHERE (state IN ('released', 'terminated') AND ended_at < $1)
      OR (state = 'expired' AND ended_at < $1 AND last_heartbeat_at < $2)
      OR (state = 'active' AND last_heartbeat_at < $2)
   LIMIT $3 FOR UPDATE SKIP LOCKED
), deleted AS (
  DELETE FROM container_sessions s USING due WHERE s.id = due.id
  RETURNING s.id, s.license_id, s.state
), audited AS (
  INSERT INTO audit_events (at, actor, action, license_id, before, after, details)
  SELECT $4, 'system:retention', 'session.expired', license_id, NULL,
         jsonb_build_object('state', 'expired', 'reason', 'HeartbeatMissed'),
         jsonb_build_object('sessionIds', jsonb_agg(id ORDER BY id), 'count', count(*), 'purged', true)
    FROM deleted WHERE state = 'active' GROUP BY license_id
  RETURNING 1
)
SELECT state, count(*)::int AS n FROM deleted GROUP BY state`;

export interface RetentionReport {
  /** Deleted session rows by the state they had. */
  sessions: Record<string, number>;
  rateLimitWindows: number;
  /** Expired magic links and ended/expired/idle customer sessions (billing/accounts/auth/cleanup.ts). */
  signIn: SignInPurgeReport;
  /** Deleted notification_outbox rows by state (ADR 0250). */
  notifications?: { sent: number; failed: number };
}

/** One pass over both tables. */
export async function purgeExpiredRows(
  db: Db,
  now: Date,
  policy: RetentionPolicy = DEFAULT_RETENTION_POLICY,
): Promise<RetentionReport> {
  const { endedBefore, lastHeartbeatBefore } = retentionCutoffs(now, policy);
  const sessions: Record<string, number> = {};
  for (let batch = 0; batch < policy.maxBatches; batch++) {
    const result = await db.query<{ state: string; n: number }>(PURGE_SESSIONS_SQL, [
      endedBefore,
      lastHeartbeatBefore,
      policy.batchSize,
      now,
    ]);
    let deleted = 0;
    for (const { state, n } of result.rows) {
      sessions[state] = (sessions[state] ?? 0) + n;
      deleted += n;
    }
    if (deleted < policy.batchSize) break;
  }
  const rateLimitWindows = await deleteFinishedWindows(db, now, policy.batchSize, policy.maxBatches);
  const signIn = await purgeSignInRows(db, now, policy.batchSize, policy.maxBatches);
  const notifications = await purgeOldNotifications(
    db,
    now,
    policy.outbox ?? DEFAULT_OUTBOX_RETENTION,
    policy,
  );
  return { sessions, rateLimitWindows, signIn, notifications };
}

interface RetentionMetrics {
  sessions: Counter<"state">;
  windows: Counter;
  failures: Counter;
  notifications: Counter<"state">;
}
const metricsCache = new WeakMap<Registry, RetentionMetrics>();

function retentionMetrics(registry: Registry): RetentionMetrics {
  let metrics = metricsCache.get(registry);
  if (!metrics) {
    const registers = [registry];
    metrics = {
      sessions: new Counter({
        name: "billing_sessions_purged_total",
        help: "Ended container-session rows deleted after their retention, by the state they had",
        labelNames: ["state"],
        registers,
      }),
      windows: new Counter({
        name: "billing_rate_limit_windows_purged_total",
        help: "Finished rate-limit windows deleted from the shared table",
        registers,
      }),
      failures: new Counter({
        name: "billing_retention_sweep_failures_total",
        help: "Retention sweep passes that failed (retried at the next interval)",
        registers,
      }),
      notifications: new Counter({
        name: "billing_notifications_purged_total",
        help: "Sent and failed notification messages deleted after their retention (ADR 0250), by state",
        labelNames: ["state"],
        registers,
      }),
    };
    for (const state of ["sent", "failed"]) metrics.notifications.inc({ state }, 0);
    for (const state of ["released", "terminated", "expired", "active"]) metrics.sessions.inc({ state }, 0);
    metricsCache.set(registry, metrics);
  }
  return metrics;
}

export type RetentionSweep = PeriodicTask<RetentionReport | undefined>;

/** Starts the sweep every `intervalMs`; a failed pass is counted and logged, and the next one retries. */
export function startRetentionSweep(
  deps: Pick<BillingDeps, "db" | "clock" | "logger" | "metrics">,
  intervalMs = RETENTION_SWEEP_INTERVAL_MS,
  policy: RetentionPolicy = DEFAULT_RETENTION_POLICY,
): RetentionSweep {
  const metrics = retentionMetrics(deps.metrics);
  return startPeriodic(async () => {
    try {
      const report = await purgeExpiredRows(deps.db, deps.clock.now(), policy);
      for (const [state, n] of Object.entries(report.sessions)) metrics.sessions.inc({ state }, n);
      metrics.windows.inc(report.rateLimitWindows);
      for (const [state, n] of Object.entries(report.notifications ?? {}))
        metrics.notifications.inc({ state }, n);
      const sessions = Object.values(report.sessions).reduce((a, b) => a + b, 0);
      const messages = (report.notifications?.sent ?? 0) + (report.notifications?.failed ?? 0);
      const signIns = report.signIn.magicLinks + report.signIn.accountSessions;
      if (sessions > 0 || report.rateLimitWindows > 0 || messages > 0 || signIns > 0)
        deps.logger.info({ purged: report }, "retention sweep deleted expired rows");
      return report;
    } catch (err) {
      metrics.failures.inc();
      deps.logger.warn({ err }, "retention sweep failed; retrying at the next interval");
      return undefined;
    }
  }, intervalMs);
}
