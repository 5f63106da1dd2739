/**
 * Customer sessions (issue 16 §1): after a sign-in (Google ID token, magic link, accepted invitation) the
 * browser holds a random session token in an HttpOnly cookie; Postgres holds only its SHA-256 hash. The CSRF
 * token every state-changing request must send back in a header is derived from the session token (an HMAC),
 * so the server can hand it to its own pages on any request while a cross-site page, which cannot read the
 * cookie, cannot compute it. A session ends at
 * sign-out, after IDLE_TIMEOUT_MS without a request, or ABSOLUTE_LIFETIME_MS after sign-in, whichever first.
 */
import { createHash, createHmac, randomBytes } from "node:crypto";
import type { Queryable } from "../db/queryable.js";

/** A session unused for a day ends (a laptop left signed in overnight at a café is not a session forever). */
export const IDLE_TIMEOUT_MS = 24 * 60 * 60 * 1000;
/** However active, a session ends a week after sign-in; the person signs in again. */
export const ABSOLUTE_LIFETIME_MS = 7 * 24 * 60 * 60 * 1000;
/** last_seen_at is written at most this often, so reads do not each cost a write. */
export const TOUCH_INTERVAL_MS = 60 * 1000;

export type SignInMethod = "google" | "magic_link" | "invitation";

export const hashToken = (token: string) => createHash("sha256").update(token, "utf8").digest("hex");
/** 32 random bytes, base64url: the one shape of every customer-facing token (session, links). */
export const newToken = () => randomBytes(32).toString("base64url");
/** The CSRF token of the session whose cookie token is `sessionToken`. */
export const csrfTokenFor = (sessionToken: string) =>
  createHmac("sha256", sessionToken).update("coditect-account-csrf").digest("base64url");

export interface NewAccountSession {
  /** Goes into the cookie; never stored. */
  token: string;
  /** csrfTokenFor(token): returned at sign-in and by GET /v1/account/me; stored only hashed. */
  csrfToken: string;
  expiresAt: Date;
}

export async function createAccountSession(
  tx: Queryable,
  userId: string,
  method: SignInMethod,
  now: Date,
): Promise<NewAccountSession> {
  const token = newToken();
  const csrfToken = csrfTokenFor(token);
  const expiresAt = new Date(now.getTime() + ABSOLUTE_LIFETIME_MS);
  await tx.query(
    `INSERT INTO account_sessions (token_hash, user_id, csrf_hash, method, created_at, last_seen_at, expires_at)
     VALUES ($1, $2, $3, $4, $5, $5, $6)`,
    [hashToken(token), userId, hashToken(csrfToken), method, now, expiresAt],
  );
  await tx.query("UPDATE users SET last_sign_in_at = $2 WHERE id = $1", [userId, now]);
  return { token, csrfToken, expiresAt };
}

export interface ActiveAccountSession {
  tokenHash: string;
  csrfHash: string;
  userId: string;
  email: string;
  method: SignInMethod;
  createdAt: Date;
  expiresAt: Date;
}

interface SessionJoinRow {
  token_hash: string;
  csrf_hash: string;
  user_id: string;
  email: string;
  method: SignInMethod;
  created_at: Date;
  last_seen_at: Date;
  expires_at: Date;
  ended_at: Date | null;
}

/** Why a stored session no longer counts, or undefined while it does (pure: the decision of resolve). */
export function sessionEndReason(
  row: Pick<SessionJoinRow, "last_seen_at" | "expires_at" | "ended_at">,
  now: Date,
): "signed_out" | "expired" | "idle" | undefined {
  if (row.ended_at) return "signed_out";
  if (now.getTime() >= row.expires_at.getTime()) return "expired";
  if (now.getTime() - row.last_seen_at.getTime() >= IDLE_TIMEOUT_MS) return "idle";
  return undefined;
}

/** The live session a cookie token names, touching its last use; undefined when unknown or ended. */
export async function resolveAccountSession(
  db: Queryable,
  token: string,
  now: Date,
): Promise<ActiveAccountSession | undefined> {
  const result = await db.query<SessionJoinRow>(
    `SELECT s.token_hash, s.csrf_hash, s.user_id, u.email, s.method, s.created_at, s.last_seen_at,
            s.expires_at, s.ended_at
       FROM account_sessions s JOIN users u ON u.id = s.user_id WHERE s.token_hash = $1`,
    [hashToken(token)],
  );
  const row = result.rows[0];
  if (!row || sessionEndReason(row, now)) return undefined;
  if (now.getTime() - row.last_seen_at.getTime() >= TOUCH_INTERVAL_MS) {
    await db.query("UPDATE account_sessions SET last_seen_at = $2 WHERE token_hash = $1", [
      row.token_hash,
      now,
    ]);
  }
  return {
    tokenHash: row.token_hash,
    csrfHash: row.csrf_hash,
    userId: row.user_id,
    email: row.email,
    method: row.method,
    createdAt: row.created_at,
    expiresAt: row.expires_at,
  };
}

/** Sign-out: the session ends now (the cookie is cleared by the caller). */
export async function endAccountSession(db: Queryable, tokenHash: string, now: Date): Promise<void> {
  await db.query("UPDATE account_sessions SET ended_at = $2 WHERE token_hash = $1 AND ended_at IS NULL", [
    tokenHash,
    now,
  ]);
}

/** Ends every session of a user (e.g. removed from every organization, or "sign out everywhere"). */
export async function endUserSessions(db: Queryable, userId: string, now: Date): Promise<number> {
  const result = await db.query(
    "UPDATE account_sessions SET ended_at = $2 WHERE user_id = $1 AND ended_at IS NULL",
    [userId, now],
  );
  return result.rowCount ?? 0;
}
