/**
 * Sign-in by email magic link (issue 16 §1, ADR 0220). A request stores the SHA-256 of a random token and
 * enqueues the `sign_in_link` email carrying the link, in one transaction; nothing else reveals whether the
 * address is known (an unknown address gets a link too: following it creates the user, so "sign up" and
 * "sign in" are one flow and the answer is the same 202 either way). The link works once, for 15 minutes.
 */
import type { Queryable } from "../../db/queryable.js";
import { ApiError } from "../../http/errors.js";
import { enqueueNotification } from "../../notifications/outbox.js";
import { createAccountSession, hashToken, type NewAccountSession, newToken } from "../account-session.js";
import { ensureUser, normalizeEmail, type UserRow } from "../directory.js";

export const MAGIC_LINK_LIFETIME_MS = 15 * 60 * 1000;

/** The page of issue 17 that posts the token to /v1/account/sign-in/email/verify. */
export const signInLinkUrl = (publicBaseUrl: string, token: string) =>
  `${publicBaseUrl}/account/sign-in/verify?token=${encodeURIComponent(token)}`;

/** Stores a new link for `email` and enqueues the email with it (in the caller's transaction). */
export async function requestMagicLink(
  tx: Queryable,
  email: string,
  publicBaseUrl: string,
  now: Date,
): Promise<void> {
  const token = newToken();
  const tokenHash = hashToken(token);
  const expiresAt = new Date(now.getTime() + MAGIC_LINK_LIFETIME_MS);
  const to = normalizeEmail(email);
  await tx.query(
    "INSERT INTO magic_links (token_hash, email, created_at, expires_at) VALUES ($1, $2, $3, $4)",
    [tokenHash, to, now, expiresAt],
  );
  await enqueueNotification(
    tx,
    {
      kind: "sign_in_link",
      to,
      // The link is the one secret a message may carry: one-time, 15 minutes.
      data: { signInUrl: signInLinkUrl(publicBaseUrl, token), expiresAt: expiresAt.toISOString() },
      dedupeKey: `sign_in_link:${tokenHash}`,
    },
    now,
  );
}

interface MagicLinkRow {
  token_hash: string;
  email: string;
  expires_at: Date;
  used_at: Date | null;
}

/** Why a link cannot sign anyone in, or undefined when it can (pure). */
export function magicLinkProblem(
  row: Pick<MagicLinkRow, "expires_at" | "used_at"> | undefined,
  now: Date,
): ApiError | undefined {
  if (!row) {
    return new ApiError(401, "link_invalid", "this sign-in link is not valid; request a new one");
  }
  if (row.used_at) {
    return new ApiError(401, "link_used", "this sign-in link was already used; request a new one");
  }
  if (now.getTime() >= row.expires_at.getTime()) {
    return new ApiError(
      401,
      "link_expired",
      "this sign-in link expired (links last 15 minutes); request a new one",
    );
  }
  return undefined;
}

/**
 * Uses the link (once: the row is locked and marked used in the same transaction) and signs its address in:
 * the user is created if new, their email is verified (they read the mail), and a session begins.
 */
export async function consumeMagicLink(
  tx: Queryable,
  token: string,
  now: Date,
): Promise<{ user: UserRow; session: NewAccountSession }> {
  const result = await tx.query<MagicLinkRow>(
    "SELECT token_hash, email, expires_at, used_at FROM magic_links WHERE token_hash = $1 FOR UPDATE",
    [hashToken(token)],
  );
  const row = result.rows[0];
  const problem = magicLinkProblem(row, now);
  if (problem) throw problem;
  await tx.query("UPDATE magic_links SET used_at = $2 WHERE token_hash = $1", [row!.token_hash, now]);
  const user = await ensureUser(tx, row!.email, now, { verified: true });
  const session = await createAccountSession(tx, user.id, "magic_link", now);
  return { user, session };
}
