/** SQL of the sessions API. Every seat count runs inside the caller's transaction, under the license lock. */
import { type AuditEvent, auditInsert, recordAudit } from "../audit.js";
import type { Queryable } from "../db/queryable.js";
import type { LicenseFacts } from "./decide.js";
import type { RateLimitDecision } from "./rate-limit.js";
import {
  type SharedCharge,
  windowDecision,
  windowUpsertParams,
  windowUpsertSql,
} from "./rate-limit-postgres.js";

export type SessionState = "active" | "expired" | "released" | "terminated";

export interface SessionRow {
  id: string;
  license_id: string;
  organization: string;
  container_id: string;
  container_type: "docker" | "workstation";
  hostname: string | null;
  ip: string | null;
  state: SessionState;
  reason: string | null;
  max_users: number;
  resource_name: string | null;
  created_at: Date;
  last_heartbeat_at: Date;
  ended_at: Date | null;
  /**
   * Who started the session: `key:<sha256 of the license key>` or `workstation:<namespace>/<name>` (ADR
   * 0151). Only the same principal may replace it. NULL on sessions from before migration 090.
   */
  principal?: string | null;
  /**
   * When the container's continuous online run began (ADR 0158, migration 095): what its offline grace is
   * earned from. NULL on rows an older replica wrote: read as created_at (decide.ts onlineSinceOf).
   */
  online_since?: Date | null;
}

export interface SessionLicense extends LicenseFacts {
  id: string;
  organization: string;
  tier: "starter" | "pro" | "enterprise";
  seats: number;
}

const LICENSE_COLUMN_LIST = [
  "id",
  "organization",
  "tier",
  "state",
  "state_reason",
  "expires_at",
  "grace_ends_at",
  "max_containers",
  "seats",
] as const satisfies readonly (keyof SessionLicense)[];
const LICENSE_COLUMNS = LICENSE_COLUMN_LIST.join(", ");

/**
 * The columns of a SessionRow, named rather than `*` in the hot paths' prepared statements (ADR 0303): a
 * prepared statement whose result type changes (a migration adding a column while replicas run) fails
 * with "cached plan must not change result type"; a named list does not change.
 */
const SESSION_COLUMNS = [
  "id",
  "license_id",
  "organization",
  "container_id",
  "container_type",
  "hostname",
  "ip",
  "state",
  "reason",
  "max_users",
  "resource_name",
  "created_at",
  "last_heartbeat_at",
  "ended_at",
  "principal",
  "online_since",
] as const satisfies readonly (keyof SessionRow)[];

const sessionColumns = (table: string) => SESSION_COLUMNS.map((c) => `${table}.${c}`).join(", ");

/**
 * Locks the license row for seat admission (SELECT … FOR UPDATE), by id or by its key's hash. By hash, a
 * rotation committed before the lock (or while waiting for it: the row is re-checked after the wait)
 * leaves no row, so admission never runs under a key that is no longer the license's.
 */
export async function lockLicense(
  tx: Queryable,
  which: { id: string } | { keyHash: string },
): Promise<(SessionLicense & { key_hash: string | null }) | undefined> {
  const [column, value] = "id" in which ? ["id", which.id] : ["key_hash", which.keyHash];
  const result = await tx.query<SessionLicense & { key_hash: string | null }>({
    name: `sessions_lock_license_by_${column}`, // prepared once per connection (ADR 0303)
    text: `SELECT ${LICENSE_COLUMNS}, key_hash FROM licenses WHERE ${column} = $1 FOR UPDATE`,
    values: [value],
  });
  return result.rows[0];
}

/**
 * Reads the license and blocks admissions to it for the rest of the transaction (FOR KEY SHARE conflicts
 * with FOR UPDATE only): a heartbeat deciding "still live" cannot interleave with a seat count.
 */
export async function shareLicense(tx: Queryable, licenseId: string): Promise<SessionLicense | undefined> {
  const result = await tx.query<SessionLicense>(
    `SELECT ${LICENSE_COLUMNS} FROM licenses WHERE id = $1 FOR KEY SHARE`,
    [licenseId],
  );
  return result.rows[0];
}

export async function licenseIdByKeyHash(db: Queryable, keyHash: string): Promise<string | undefined> {
  return (await db.query<{ id: string }>("SELECT id FROM licenses WHERE key_hash = $1", [keyHash])).rows[0]
    ?.id;
}

/** Live sessions of a license, counted in SQL (optionally ignoring one session, e.g. the one being revived). */
export async function countLiveSessions(
  tx: Queryable,
  licenseId: string,
  liveSince: Date,
  exceptId?: string,
): Promise<number> {
  const result = await tx.query<{ n: number }>(
    `SELECT count(*)::int AS n FROM container_sessions
      WHERE license_id = $1 AND state = 'active' AND last_heartbeat_at > $2 AND ($3::uuid IS NULL OR id <> $3)`,
    [licenseId, liveSince, exceptId ?? null],
  );
  return result.rows[0]!.n;
}

/**
 * Validate's two reads under the license lock in one statement (ADR 0303): the active session the container
 * id holds on the license (locked FOR UPDATE: it is about to be superseded or refused), and the license's
 * live sessions not counting that holder — the count that decides the seat once the holder is replaced.
 * Run it only after lockLicense returned: its snapshot must be taken after the lock, so it sees every
 * admission that committed before.
 */
export async function holderAndLiveCount(
  tx: Queryable,
  licenseId: string,
  containerId: string,
  liveSince: Date,
): Promise<{ holder: SessionRow | undefined; live: number }> {
  const result = await tx.query<Partial<SessionRow> & { live_count: number }>({
    name: "sessions_holder_and_live_count",
    text: `WITH holder AS (
             SELECT ${SESSION_COLUMNS.join(", ")} FROM container_sessions
              WHERE license_id = $1 AND container_id = $2 AND state = 'active' FOR UPDATE
           )
           SELECT (SELECT count(*)::int FROM container_sessions c
                    WHERE c.license_id = $1 AND c.state = 'active' AND c.last_heartbeat_at > $3
                      AND c.id IS DISTINCT FROM (SELECT id FROM holder)) AS live_count,
                  ${sessionColumns("holder")}
             FROM (SELECT 1) AS one LEFT JOIN holder ON true`,
    values: [licenseId, containerId, liveSince],
  });
  const { live_count: live, ...row } = result.rows[0]!;
  return { holder: row.id ? (row as SessionRow) : undefined, live };
}

/**
 * Inserts a session and its `session.started` audit record in one statement (ADR 0303), in the caller's
 * transaction; the audit row is built by billing/audit.ts like every other.
 */
export async function insertSessionAudited(
  tx: Queryable,
  row: SessionRow & { token_hash: string },
  audit: AuditEvent,
): Promise<void> {
  const values = sessionInsertValues(row);
  const audited = auditInsert(audit, values.length + 1);
  await tx.query({
    name: "sessions_insert_audited",
    text: `WITH inserted AS (${SESSION_INSERT_SQL}) ${audited.text}`,
    values: [...values, ...audited.values],
  });
}

const SESSION_INSERT_SQL = `INSERT INTO container_sessions (id, license_id, organization, container_id, container_type, hostname, ip, token_hash,
       state, reason, max_users, resource_name, created_at, last_heartbeat_at, ended_at, principal, online_since)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17)`;

function sessionInsertValues(row: SessionRow & { token_hash: string }): unknown[] {
  return [
    row.id,
    row.license_id,
    row.organization,
    row.container_id,
    row.container_type,
    row.hostname,
    row.ip,
    row.token_hash,
    row.state,
    row.reason,
    row.max_users,
    row.resource_name,
    row.created_at,
    row.last_heartbeat_at,
    row.ended_at,
    row.principal ?? null,
    row.online_since ?? row.created_at,
  ];
}

export async function insertSession(tx: Queryable, row: SessionRow & { token_hash: string }): Promise<void> {
  await tx.query(SESSION_INSERT_SQL, sessionInsertValues(row));
}

export async function sessionByTokenHash(
  db: Queryable,
  tokenHash: string,
  forUpdate = false,
): Promise<SessionRow | undefined> {
  const lock = forUpdate ? "FOR UPDATE" : "";
  return (
    await db.query<SessionRow>(`SELECT * FROM container_sessions WHERE token_hash = $1 ${lock}`, [tokenHash])
  ).rows[0];
}

/** The active session a container id holds on a license (a restarted container re-validating). */
export async function activeSessionOfContainer(
  tx: Queryable,
  licenseId: string,
  containerId: string,
): Promise<SessionRow | undefined> {
  return (
    await tx.query<SessionRow>(
      "SELECT * FROM container_sessions WHERE license_id = $1 AND container_id = $2 AND state = 'active' FOR UPDATE",
      [licenseId, containerId],
    )
  ).rows[0];
}

/**
 * Records a heartbeat on an active session; `report` is the optional usage the container sent. A
 * re-admission passes `onlineSince` (now): the container was offline, so its online run starts again.
 */
export async function touchSession(
  tx: Queryable,
  id: string,
  now: Date,
  report: object | null,
  onlineSince?: Date,
): Promise<void> {
  await tx.query(
    `UPDATE container_sessions SET state = 'active', reason = NULL, ended_at = NULL, last_heartbeat_at = $2,
       last_report = COALESCE($3, last_report), online_since = COALESCE($4, online_since) WHERE id = $1`,
    [id, now, report ? JSON.stringify(report) : null, onlineSince ?? null],
  );
}

/** Ends a session (idempotent: an ended session keeps its first end). Returns whether it changed. */
export async function endSession(
  tx: Queryable,
  id: string,
  state: Exclude<SessionState, "active">,
  reason: string,
  now: Date,
): Promise<boolean> {
  const result = await tx.query(
    "UPDATE container_sessions SET state = $2, reason = $3, ended_at = $4 WHERE id = $1 AND state = 'active'",
    [id, state, reason, now],
  );
  return (result.rowCount ?? 0) > 0;
}

export async function sessionUsers(
  db: Queryable,
  sessionId: string,
): Promise<{ user: string; joinedAt: string }[]> {
  const result = await db.query<{ user_email: string; joined_at: Date }>(
    "SELECT user_email, joined_at FROM container_session_users WHERE session_id = $1 ORDER BY joined_at, user_email",
    [sessionId],
  );
  return result.rows.map((r) => ({ user: r.user_email, joinedAt: r.joined_at.toISOString() }));
}

/**
 * The common heartbeat in ONE statement (issue 18 goal 1, ADR 0270): the session the token hash names,
 * when it is active, fresh (heartbeat after `liveSince`) and its token younger than its lifetime
 * (`tokenIssuedAfter`), of a license that entitles at `now` — read FOR KEY SHARE, so "still live" cannot
 * interleave with an admission's seat count, as in the transaction it replaces — is extended. Anything
 * else (unknown or old token, stale, ended, lapsed license) returns no `touched` and the caller takes the
 * full path, which decides and explains it.
 *
 * With `charge` (RATE_LIMIT_STORE=postgres) the same statement counts the request in the shared rate-limit
 * window first (ADR 0301) and extends the session only when that count is within the limit: one round
 * trip per heartbeat instead of two, with ADR 0160's guarantee unchanged (the charge is counted whatever
 * the heartbeat's outcome, under the window row's lock).
 */
export async function touchLiveSession(
  db: Queryable,
  tokenHash: string,
  now: Date,
  liveSince: Date,
  tokenIssuedAfter: Date,
  report: object | null,
  charge?: SharedCharge,
): Promise<{ rateLimit: RateLimitDecision; touched?: { session: SessionRow; license: SessionLicense } }> {
  const params: unknown[] = [
    tokenHash,
    now,
    liveSince,
    tokenIssuedAfter,
    report ? JSON.stringify(report) : null,
  ];
  // Without a charge the session's CTE is not gated; with one, only when the window's count allows it.
  let counted = "";
  let gate = "";
  if (charge) {
    counted = `rl AS (${windowUpsertSql(params.length + 1)}), `;
    params.push(...windowUpsertParams([charge], now), charge.rule.limit);
    gate = `AND (SELECT count FROM rl) <= $${params.length}`;
  }
  // Its plan must not depend on statistics (ADR 0323): the session is found by its token's unique index only
  // (the subquery's OFFSET 0 keeps the other conditions out of its scan) and updated by its primary key
  // (the recheck of state and last_heartbeat_at is written as one IS TRUE test: no index condition, and
  // no `state = 'active'` clause that would make the partial indexes usable). Otherwise, on a table not yet
  // analyzed, the planner scans the partial indexes and filters every live session, twice per heartbeat
  // (2.5× PostgreSQL's CPU per heartbeat in the benchmark). heartbeat-plan.test.ts checks the plan.
  const touch = `WITH ${counted}s AS (
       SELECT id, license_id FROM (
         SELECT id, license_id, state, last_heartbeat_at, created_at FROM container_sessions
          WHERE token_hash = $1 OFFSET 0
       ) k
        WHERE state = 'active' AND last_heartbeat_at > $3 AND created_at > $4 ${gate}
     ), l AS (
       SELECT ${LICENSE_COLUMNS} FROM licenses
        WHERE id = (SELECT license_id FROM s) AND state IN ('active', 'pastDue')
          AND (expires_at IS NULL OR expires_at > $2)
        FOR KEY SHARE
     ), t AS (
     UPDATE container_sessions c SET last_heartbeat_at = $2, last_report = COALESCE($5, c.last_report)
       FROM l
      WHERE c.id = (SELECT id FROM s) AND c.license_id = l.id AND (c.state = 'active' AND c.last_heartbeat_at > $3) IS TRUE
     RETURNING ${sessionColumns("c")}, ${LICENSE_COLUMN_LIST.map((column) => `l.${column} AS l_${column}`).join(", ")}
     )`;
  // The window's row always comes back (LEFT JOIN): the decision is needed whether or not the session was touched.
  const sql = charge
    ? `${touch} SELECT rl.count AS rl_count, rl.window_ends_at AS rl_window_ends_at, t.* FROM rl LEFT JOIN t ON true`
    : `${touch} SELECT * FROM t`;
  // Prepared once per connection (ADR 0303): the CTE is parsed and planned once, not per heartbeat. Rows as
  // arrays (issue 18 goal 1): the columns' order is the statement's own, so the session and the license are
  // built by position instead of pg building a 27-key object that is then split by name prefix.
  const name = charge ? "sessions_touch_live_charged" : "sessions_touch_live";
  const result = await db.query<unknown[]>({ name, text: sql, values: params, rowMode: "array" });
  const row = result.rows[0];
  const first = charge ? 2 : 0; // after rl_count, rl_window_ends_at
  if (result.fields.length !== first + TOUCHED_COLUMNS)
    throw new Error(`touchLiveSession: ${result.fields.length} columns, expected ${first + TOUCHED_COLUMNS}`);
  const rateLimit: RateLimitDecision =
    charge && row
      ? windowDecision({ count: row[0] as number, window_ends_at: row[1] as Date }, charge.rule, now)
      : { allowed: true };
  if (!row || row[first] === null || row[first] === undefined) return { rateLimit };
  const session: Record<string, unknown> = {};
  for (let i = 0; i < SESSION_COLUMNS.length; i++) session[SESSION_COLUMNS[i]!] = row[first + i];
  const license: Record<string, unknown> = {};
  const licenseFirst = first + SESSION_COLUMNS.length;
  for (let i = 0; i < LICENSE_COLUMN_LIST.length; i++)
    license[LICENSE_COLUMN_LIST[i]!] = row[licenseFirst + i];
  // The statement ran the UPDATE: the row now carries this heartbeat.
  return {
    rateLimit,
    touched: { session: session as unknown as SessionRow, license: license as unknown as SessionLicense },
  };
}

/** The columns touchLiveSession's `t` returns: the session's, then the license's. */
const TOUCHED_COLUMNS = SESSION_COLUMNS.length + LICENSE_COLUMN_LIST.length;

/**
 * One `session.terminated` audit record per license, naming every session of `ended` that belongs to it (the
 * rows an UPDATE … RETURNING just ended); nothing for no rows. Key rotation, workstation unassignment and a
 * license ending share it.
 */
export async function auditTerminatedSessions(
  tx: Queryable,
  ended: readonly Pick<SessionRow, "id" | "license_id">[],
  audit: { actor: string; reason: string; now: Date; before?: unknown },
): Promise<void> {
  const byLicense = new Map<string, string[]>();
  for (const row of ended) byLicense.set(row.license_id, [...(byLicense.get(row.license_id) ?? []), row.id]);
  for (const [licenseId, sessionIds] of byLicense) {
    await recordAudit(tx, {
      at: audit.now,
      actor: audit.actor,
      action: "session.terminated",
      licenseId,
      before: audit.before === undefined ? { state: "active" } : audit.before,
      after: { state: "terminated", reason: audit.reason },
      details: { sessionIds, count: sessionIds.length },
    });
  }
}
