/**
 * Rate-limit windows in PostgreSQL, shared by every billing replica (issue 13 §5, ADR 0160): one UPSERT
 * counts a request against any number of limits at once and returns each window's count and end, so a
 * request costs exactly one extra round trip however many limits it is charged to (validate: its client IP
 * and its license key). Same fixed-window semantics as the in-memory FixedWindowLimiter, with the injected
 * clock. The table is created by migration 060 (the runtime role needs no CREATE); finished windows are
 * deleted by the retention sweep (deleteFinishedWindows, billing/ops/retention.ts).
 */
import type { Clock } from "../../lib/clock.js";
import type { Db } from "../deps.js";
import type { RateLimitDecision, RateLimitRule } from "./rate-limit.js";

export interface SharedCharge {
  limiter: string;
  key: string;
  rule: RateLimitRule;
}

/** Counts one request per charge in one statement; decisions in the order of `charges`. */
export interface SharedWindowStore {
  take(charges: readonly SharedCharge[]): Promise<RateLimitDecision[]>;
}

// A window that has ended restarts at 1 with a new end; otherwise the count goes up. Row locks on the
// (limiter, key) rows serialise concurrent requests of one key across replicas, so no count is lost.
// Parameters from $first: limiters, keys, now, window lengths (ms) — see windowUpsertParams.
export function windowUpsertSql(first = 1): string {
  const [limiters, keys, now, windows] = [first, first + 1, first + 2, first + 3].map((n) => `$${n}`);
  return `INSERT INTO rate_limit_windows AS w (limiter, key, window_ends_at, count)
SELECT c.limiter, c.key, ${now}::timestamptz + c.window_ms * interval '1 millisecond', 1
  FROM unnest(${limiters}::text[], ${keys}::text[], ${windows}::int[]) AS c(limiter, key, window_ms)
ON CONFLICT (limiter, key) DO UPDATE SET
  count = CASE WHEN w.window_ends_at <= ${now}::timestamptz THEN 1 ELSE w.count + 1 END,
  window_ends_at = CASE WHEN w.window_ends_at <= ${now}::timestamptz THEN EXCLUDED.window_ends_at
                        ELSE w.window_ends_at END
RETURNING w.limiter, w.key, w.count, w.window_ends_at`;
}

/** The four parameters of windowUpsertSql for these charges, in order. */
export function windowUpsertParams(charges: readonly SharedCharge[], now: Date): unknown[] {
  return [charges.map((c) => c.limiter), charges.map((c) => c.key), now, charges.map((c) => c.rule.windowMs)];
}

/** A window's count and end as the UPSERT returned them. */
export interface WindowRow {
  limiter: string;
  key: string;
  count: number;
  window_ends_at: Date;
}

/** The decision for each charge (in the order of `charges`) from the windows the UPSERT returned. */
export function decisionsOf(
  rows: readonly WindowRow[],
  charges: readonly SharedCharge[],
  now: Date,
): RateLimitDecision[] {
  const windows = new Map(rows.map((r) => [`${r.limiter}\u0000${r.key}`, r]));
  return charges.map((charge) => {
    const window = windows.get(`${charge.limiter}\u0000${charge.key}`);
    if (!window) throw new Error(`rate-limit upsert returned no row for ${charge.limiter}`);
    return windowDecision(window, charge.rule, now);
  });
}

/** Within the limit, or refused until the window ends (at least 1 s, as Retry-After). */
export function windowDecision(
  window: Pick<WindowRow, "count" | "window_ends_at">,
  rule: RateLimitRule,
  now: Date,
): RateLimitDecision {
  if (window.count <= rule.limit) return { allowed: true };
  const left = window.window_ends_at.getTime() - now.getTime();
  return { allowed: false, retryAfterSeconds: Math.max(1, Math.ceil(left / 1000)) };
}

const TAKE_SQL = windowUpsertSql();

export class PostgresWindowStore implements SharedWindowStore {
  constructor(
    private readonly db: Db,
    private readonly clock: Clock,
  ) {}

  async take(charges: readonly SharedCharge[]): Promise<RateLimitDecision[]> {
    if (charges.length === 0) return [];
    const now = this.clock.now();
    const result = await this.db.query<WindowRow>({
      name: "rate_limit_take", // prepared once per connection (ADR 0303)
      text: TAKE_SQL,
      values: windowUpsertParams(charges, now),
    });
    return decisionsOf(result.rows, charges, now);
  }
}

/**
 * Deletes windows that ended before `before`, at most `batchSize` rows per statement and `maxBatches`
 * statements per call, so one pass never holds locks or a transaction for long. Returns how many it deleted.
 */
export async function deleteFinishedWindows(
  db: Db,
  before: Date,
  batchSize = 5_000,
  maxBatches = 20,
): Promise<number> {
  let deleted = 0;
  for (let batch = 0; batch < maxBatches; batch++) {
    const result = await db.query(
      `DELETE FROM rate_limit_windows WHERE (limiter, key) IN (
         SELECT limiter, key FROM rate_limit_windows WHERE window_ends_at < $1
          ORDER BY window_ends_at LIMIT $2 FOR UPDATE SKIP LOCKED)`,
      [before, batchSize],
    );
    deleted += result.rowCount ?? 0;
    if ((result.rowCount ?? 0) < batchSize) break;
  }
  return deleted;
}
