/**
 * POST /v1/sessions/release (idempotent: releasing an ended session answers its current state), the
 * multi-user join/leave of a container session, and terminateLicenseSessions for license revocation.
 */
import { holdsSeat } from "../accounts/seats/seats.js";
import { recordAudit } from "../audit.js";
import type { Queryable } from "../db/queryable.js";
import { withTransaction } from "../db/tx.js";
import { ApiError } from "../http/errors.js";
import { markEndedInCluster } from "./admission.js";
import { auditView, type SessionsContext } from "./context.js";
import { sessionForToken } from "./heartbeat.js";
import {
  auditTerminatedSessions,
  endSession,
  type SessionRow,
  type SessionState,
  sessionUsers,
} from "./store.js";

export async function releaseSession(
  ctx: SessionsContext,
  token: string,
): Promise<{ sessionId: string; state: SessionState; reason: string | null }> {
  const known = await sessionForToken(ctx, token);
  const now = ctx.clock.now();
  const released = await withTransaction(ctx.db, async (tx) => {
    const session = (
      await tx.query<SessionRow>("SELECT * FROM container_sessions WHERE id = $1 FOR UPDATE", [known.id])
    ).rows[0]!;
    if (!(await endSession(tx, session.id, "released", "Released", now))) return { session, changed: false };
    await recordAudit(tx, {
      at: now,
      actor: `container:${session.container_id}`,
      action: "session.released",
      licenseId: session.license_id,
      before: auditView(session),
      after: { ...auditView(session), state: "released", reason: "Released" },
    });
    return { session: { ...session, state: "released" as const, reason: "Released" }, changed: true };
  });
  if (released.changed) await markEndedInCluster(ctx, released.session, "released", "Released", now);
  return { sessionId: released.session.id, state: released.session.state, reason: released.session.reason };
}

/**
 * A user holding a seat on the session's license joins a multi-user container session (at most max_users at
 * once; joining twice is a no-op). The seat is checked under the session row lock; seat removal deletes the
 * join in its own transaction (billing/accounts/seats).
 */
export async function joinSession(ctx: SessionsContext, token: string, user: string) {
  const known = await sessionForToken(ctx, token);
  const now = ctx.clock.now();
  const users = await withTransaction(ctx.db, async (tx) => {
    // Issue 16 §1: a person joins a licensed container only with a seat on its license. Checked (and the
    // seat row share-locked) before the session row is locked: an unassign locks in the order seat, then
    // session, so the two cannot deadlock.
    if (!(await holdsSeat(tx, known.license_id, user))) {
      throw new ApiError(
        403,
        "no_seat",
        `${user} holds no seat on this container's license; an organization admin assigns seats`,
      );
    }
    const session = (
      await tx.query<SessionRow>("SELECT * FROM container_sessions WHERE id = $1 FOR UPDATE", [known.id])
    ).rows[0]!;
    if (session.state !== "active")
      throw new ApiError(409, "session_not_active", `session is ${session.state}; validate again`);
    const current = await sessionUsers(tx, session.id);
    if (current.some((u) => u.user === user)) return current;
    if (current.length >= session.max_users) {
      throw new ApiError(
        409,
        "max_users_reached",
        `all ${session.max_users} user slots of this container are taken`,
      );
    }
    await tx.query(
      "INSERT INTO container_session_users (session_id, user_email, joined_at) VALUES ($1, $2, $3)",
      [session.id, user, now],
    );
    // Who used a licensed container is part of its record, as the seat removal that ends a join is.
    await recordAudit(tx, {
      at: now,
      actor: `container:${session.container_id}`,
      action: "session.user_joined",
      licenseId: session.license_id,
      before: null,
      after: { user },
      details: { sessionId: session.id },
    });
    return sessionUsers(tx, session.id);
  });
  await patchUsers(ctx, known, users);
  return { sessionId: known.id, maxUsers: known.max_users, users };
}

/** A user leaves (leaving when not joined is a no-op). */
export async function leaveSession(ctx: SessionsContext, token: string, user: string) {
  const known = await sessionForToken(ctx, token);
  const now = ctx.clock.now();
  const users = await withTransaction(ctx.db, async (tx) => {
    await tx.query("SELECT id FROM container_sessions WHERE id = $1 FOR UPDATE", [known.id]);
    const left = await tx.query(
      "DELETE FROM container_session_users WHERE session_id = $1 AND user_email = $2",
      [known.id, user],
    );
    if (left.rowCount) {
      await recordAudit(tx, {
        at: now,
        actor: `container:${known.container_id}`,
        action: "session.user_left",
        licenseId: known.license_id,
        before: { user },
        after: null,
        details: { sessionId: known.id },
      });
    }
    return sessionUsers(tx, known.id);
  });
  await patchUsers(ctx, known, users);
  return { sessionId: known.id, maxUsers: known.max_users, users };
}

async function patchUsers(
  ctx: SessionsContext,
  session: SessionRow,
  users: { user: string; joinedAt: string }[],
): Promise<void> {
  if (!ctx.cluster || !session.resource_name) return;
  await ctx.cluster.patchSessionStatus(session.organization, session.resource_name, { users });
}

/**
 * Terminates every active session of a license in Postgres, with an audit record each, inside the
 * caller's transaction (call it from the transaction that revokes, suspends or expires the license). The
 * ContainerSession resources follow through the operator, which terminates all sessions of a lapsed
 * License; containers learn it at their next heartbeat (answer `expired`). Returns the ended session ids.
 */
export async function terminateLicenseSessions(
  client: Queryable,
  licenseId: string,
  reason: string,
  now: Date = new Date(),
): Promise<string[]> {
  const ended = await client.query<SessionRow>(
    `UPDATE container_sessions SET state = 'terminated', reason = $2, ended_at = $3
      WHERE license_id = $1 AND state = 'active' RETURNING *`,
    [licenseId, reason, now],
  );
  await auditTerminatedSessions(client, ended.rows, { actor: "system:sessions", reason, now, before: null });
  return ended.rows.map((r) => r.id);
}
