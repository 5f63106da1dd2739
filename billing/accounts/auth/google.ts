/**
 * Signing in with a Google ID token (ADR 0220), the one code path of both ways a token arrives: posted to
 * POST /v1/account/sign-in/google by a client, or fetched by billing itself from Google's token endpoint at
 * the end of the pages' code flow (ADR 0286). Same verification (audience = ACCOUNT_GOOGLE_CLIENT_ID,
 * Google's issuers, RS256, expiry, verified email), same user creation, same session.
 */
import { withTransaction } from "../../db/tx.js";
import type { BillingDeps } from "../../deps.js";
import { ApiError } from "../../http/errors.js";
import {
  GOOGLE_ISSUERS,
  GoogleJwtError,
  googleJwtVerifier,
  type VerifiedGoogleIdentity,
} from "../../http/google-jwt.js";
import { createAccountSession, type NewAccountSession } from "../account-session.js";
import { ensureUser, type UserRow } from "../directory.js";

export type GoogleSignIn = (
  idToken: string,
  /** The code flow's nonce: the token must carry exactly it (a token minted for another request is refused). */
  expectedNonce?: string,
) => Promise<{ user: UserRow; session: NewAccountSession }>;

export const googleNotConfigured = () =>
  new ApiError(
    404,
    "google_sign_in_not_configured",
    "sign-in with Google is not configured on this deployment (ACCOUNT_GOOGLE_CLIENT_ID); use the email link",
  );

/** The sign-in function of this deployment, or undefined when no OAuth client is configured. */
export function googleSignIn(deps: Pick<BillingDeps, "config" | "clock" | "db">): GoogleSignIn | undefined {
  const { config, clock, db } = deps;
  if (!config.accountGoogle) return undefined;
  const verify = googleJwtVerifier(
    {
      jwks: config.accountGoogle.jwks,
      audience: config.accountGoogle.clientId,
      issuers: GOOGLE_ISSUERS,
      algorithms: ["RS256"],
      requireVerifiedEmail: true,
    },
    clock,
  );
  return async (idToken, expectedNonce) => {
    let identity: VerifiedGoogleIdentity;
    try {
      identity = await verify(idToken);
    } catch (error) {
      if (!(error instanceof GoogleJwtError)) throw error;
      if (error.problem === "unverified_email") {
        throw new ApiError(401, "email_not_verified", "Google has not verified this account's email address");
      }
      throw new ApiError(401, "google_token_invalid", `the Google ID token was refused (${error.problem})`);
    }
    if (expectedNonce !== undefined && identity.payload.nonce !== expectedNonce) {
      throw new ApiError(401, "google_token_invalid", "the Google ID token was refused (nonce)");
    }
    const verifiedEmail = identity.email;
    const now = clock.now();
    return withTransaction(db, async (tx) => {
      const user = await ensureUser(tx, verifiedEmail, now, { verified: true });
      return { user, session: await createAccountSession(tx, user.id, "google", now) };
    });
  };
}
