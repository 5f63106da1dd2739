/**
 * Verification of JWTs Google signs about an identity: Google ID tokens (workstation identity tokens from
 * the metadata server, `gcloud auth print-identity-token` for admins) and Identity-Aware Proxy assertions
 * (`x-goog-iap-jwt-assertion`). One verifier for both callers (sessions/identity.ts, admin/auth.ts), so
 * the checks (signature from the configured JWKS, issuer, audience, expiry at the injected clock) cannot
 * drift apart. The JWKS is a URL (Google's in production, a local server in tests) or a document.
 */
import {
  createLocalJWKSet,
  createRemoteJWKSet,
  errors,
  type JSONWebKeySet,
  type JWTPayload,
  type JWTVerifyGetKey,
  jwtVerify,
} from "jose";
import type { Clock } from "../../lib/clock.js";

export const GOOGLE_ISSUERS = ["https://accounts.google.com", "accounts.google.com"];
export const GOOGLE_JWKS_URL = "https://www.googleapis.com/oauth2/v3/certs";
/** IAP signs its header with ES256 keys published here (cloud.google.com/iap/docs/signed-headers-howto). */
export const IAP_ISSUER = "https://cloud.google.com/iap";
export const IAP_JWKS_URL = "https://www.gstatic.com/iap/verify/public_key-jwk";

/** Why a token was refused, for callers that answer each case with its own error code. */
export type GoogleJwtProblem =
  | "expired"
  | "not_yet_valid"
  | "audience"
  | "issuer"
  | "signature"
  | "malformed"
  | "unverified_email";

export class GoogleJwtError extends Error {
  override name = "GoogleJwtError";
  constructor(
    readonly problem: GoogleJwtProblem,
    message: string,
  ) {
    super(message);
  }
}

export interface GoogleJwtCheck {
  /** JWKS URL, or a JWKS document. */
  jwks: string | JSONWebKeySet;
  /** Read at every verification (not when the verifier is built). */
  audience: string | string[];
  issuers: string[];
  algorithms: string[];
  /**
   * Google ID tokens say whether Google verified the email (`email_verified`); an identity whose email is
   * unverified must not match an allow-list. IAP assertions carry no such claim: IAP only admits Google
   * accounts, whose email is the account name.
   */
  requireVerifiedEmail: boolean;
}

export interface VerifiedGoogleIdentity {
  /** Lower-cased. */
  email: string;
  payload: JWTPayload;
}

export function keySet(jwks: string | JSONWebKeySet): JWTVerifyGetKey {
  return typeof jwks === "string" ? createRemoteJWKSet(new URL(jwks)) : createLocalJWKSet(jwks);
}

function problemOf(error: unknown): GoogleJwtProblem {
  if (error instanceof errors.JWTExpired) return "expired";
  if (error instanceof errors.JWTClaimValidationFailed) {
    if (error.claim === "aud") return "audience";
    if (error.claim === "iss") return "issuer";
    if (error.claim === "nbf" || error.claim === "iat") return "not_yet_valid";
    return "malformed";
  }
  if (
    error instanceof errors.JWSSignatureVerificationFailed ||
    error instanceof errors.JWKSNoMatchingKey ||
    error instanceof errors.JOSEAlgNotAllowed
  ) {
    return "signature";
  }
  return "malformed";
}

/** A function verifying one token; throws GoogleJwtError naming the problem. */
export function googleJwtVerifier(
  check: GoogleJwtCheck,
  clock: Clock,
): (token: string) => Promise<VerifiedGoogleIdentity> {
  const keys = keySet(check.jwks);
  return async (token) => {
    let payload: JWTPayload;
    try {
      ({ payload } = await jwtVerify(token, keys, {
        issuer: check.issuers,
        audience: check.audience,
        currentDate: clock.now(),
        algorithms: check.algorithms,
      }));
    } catch (error) {
      throw new GoogleJwtError(problemOf(error), (error as Error).message);
    }
    if (
      typeof payload.email !== "string" ||
      (check.requireVerifiedEmail && payload.email_verified !== true)
    ) {
      throw new GoogleJwtError("unverified_email", "token carries no verified email");
    }
    return { email: payload.email.toLowerCase(), payload };
  };
}
