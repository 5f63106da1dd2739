/**
 * Test infrastructure: a signed-in customer without going through a sign-in flow (those have their own
 * tests). Creates the user, optionally a membership, and a real session row; returns the headers a browser
 * would send. Used by every /v1/account test that is about something other than signing in.
 */
import type { Queryable } from "../../db/queryable.js";
import { createAccountSession } from "../account-session.js";
import { ensureUser, type Role } from "../directory.js";
import { ACCOUNT_COOKIE } from "../http/authenticate.js";

export interface TestAccount {
  userId: string;
  email: string;
  /** `Cookie` header value. */
  cookie: string;
  csrfToken: string;
  /** Headers for a state-changing request: cookie, CSRF token, JSON body. */
  headers: Record<string, string>;
}

export async function signInForTest(
  db: Queryable,
  email: string,
  now: Date,
  membership?: { organization: string; role: Role },
): Promise<TestAccount> {
  const user = await ensureUser(db, email, now, { verified: true });
  if (membership) {
    await db.query(
      `INSERT INTO organizations (slug, owner_user_id, created_at) VALUES ($1, $2, $3) ON CONFLICT (slug) DO NOTHING`,
      [membership.organization, user.id, now],
    );
    await db.query(
      `INSERT INTO memberships (organization, user_id, role, created_at) VALUES ($1, $2, $3, $4)
       ON CONFLICT (organization, user_id) DO UPDATE SET role = EXCLUDED.role`,
      [membership.organization, user.id, membership.role, now],
    );
  }
  const session = await createAccountSession(db, user.id, "magic_link", now);
  const cookie = `${ACCOUNT_COOKIE}=${session.token}`;
  return {
    userId: user.id,
    email: user.email,
    cookie,
    csrfToken: session.csrfToken,
    headers: { cookie, "x-csrf-token": session.csrfToken, "content-type": "application/json" },
  };
}
