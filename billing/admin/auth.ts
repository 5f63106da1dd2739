/**
 * Authentication for /v1/admin (ADR 0165). Admins act as themselves: a Google ID token
 * (`Authorization: Bearer $(gcloud auth print-identity-token)`) or, behind Identity-Aware Proxy, IAP's
 * signed header, verified against Google's keys and matched against the ADMIN_EMAILS allow-list. The
 * verified email is the audit actor; nobody can name another actor (X-Admin-Actor is refused).
 *
 * The old shared token is a break-glass credential: off in production unless ADMIN_BREAK_GLASS=true
 * (admin/auth-config.ts), and every request made with it is logged as a warning and recorded in the audit
 * log as `break-glass`, whatever it does. Tokens are hashed before comparison so timingSafeEqual always
 * compares equal-length buffers and the comparison time reveals nothing.
 */
import { createHash, timingSafeEqual } from "node:crypto";
import type { Request, RequestHandler, Response } from "express";
import type { Clock } from "../../lib/clock.js";
import { recordAudit } from "../audit.js";
import type { Db } from "../deps.js";
import { ApiError } from "../http/errors.js";
import {
  GoogleJwtError,
  type GoogleJwtProblem,
  googleJwtVerifier,
  type VerifiedGoogleIdentity,
} from "../http/google-jwt.js";
import type { AdminAuthConfig } from "./auth-config.js";

/** The audit actor of every request made with the shared token. */
export const BREAK_GLASS_ACTOR = "break-glass";
export const BREAK_GLASS_ACTION = "admin.break_glass_used";

export type AdminCredential = "google-id-token" | "iap" | "break-glass";

declare module "express-serve-static-core" {
  interface Request {
    /** Audit actor for admin requests: the verified email, or `break-glass`. */
    adminActor?: string;
    adminCredential?: AdminCredential;
  }
}

const sha256 = (s: string) => createHash("sha256").update(s, "utf8").digest();
/** Three base64url segments: a JWT, so a Google ID token; anything else is taken as the shared token. */
const JWT_SHAPE = /^[\w-]+\.[\w-]+\.[\w-]+$/;

/** One 401 code per reason a Google-signed token is refused, so an admin can tell what to fix. */
const PROBLEM_CODES: Record<GoogleJwtProblem, { code: string; hint: string }> = {
  expired: { code: "token_expired", hint: "fetch a new one (they last an hour)" },
  not_yet_valid: { code: "token_not_yet_valid", hint: "check the clock of the machine that minted it" },
  audience: { code: "token_audience_invalid", hint: "it was minted for another audience" },
  issuer: { code: "token_issuer_invalid", hint: "it was not issued by Google" },
  signature: { code: "token_signature_invalid", hint: "it is not signed by Google's keys" },
  malformed: { code: "token_invalid", hint: "it is not a valid JWT" },
  unverified_email: { code: "token_email_unverified", hint: "the token carries no verified email" },
};

export interface AdminAuthDeps {
  config: { admin: AdminAuthConfig };
  clock: Clock;
  db: Db;
}

/** A warning with the caller's address: repeated failures are someone guessing (ADR 0131). */
function authFailed(req: Request, reason: string, email?: string): void {
  req.log.warn(
    { clientIp: req.ip, path: req.originalUrl.split("?")[0], reason, ...(email ? { email } : {}) },
    "admin authentication failed",
  );
}

function unauthorized(res: Response, code: string, message: string, tokenError = true): ApiError {
  res.setHeader(
    "www-authenticate",
    tokenError ? 'Bearer realm="coditect-admin", error="invalid_token"' : 'Bearer realm="coditect-admin"',
  );
  return new ApiError(401, code, message);
}

export function requireAdmin(deps: AdminAuthDeps): RequestHandler {
  const { admin } = deps.config;
  const verifyIdToken = admin.idToken
    ? googleJwtVerifier(
        {
          jwks: admin.idToken.jwks,
          issuers: admin.idToken.issuers,
          audience: admin.idToken.audiences,
          algorithms: ["RS256"],
          requireVerifiedEmail: true,
        },
        deps.clock,
      )
    : undefined;
  const verifyIap = admin.iap
    ? googleJwtVerifier(
        {
          jwks: admin.iap.jwks,
          issuers: admin.iap.issuers,
          audience: admin.iap.audience,
          algorithms: ["ES256"],
          requireVerifiedEmail: false,
        },
        deps.clock,
      )
    : undefined;
  const breakGlass = admin.breakGlassToken === undefined ? undefined : sha256(admin.breakGlassToken);
  const allowed = new Set(admin.emails);

  const verified = async (
    req: Request,
    res: Response,
    what: string,
    verify: (token: string) => Promise<VerifiedGoogleIdentity>,
    token: string,
  ): Promise<string> => {
    let email: string;
    try {
      ({ email } = await verify(token));
    } catch (error) {
      if (!(error instanceof GoogleJwtError)) throw error;
      const { code, hint } = PROBLEM_CODES[error.problem];
      authFailed(req, `${what}: ${error.message}`);
      throw unauthorized(res, code, `${what} not accepted: ${error.message}; ${hint}`);
    }
    if (!allowed.has(email)) {
      authFailed(req, `${what}: not on the allow-list`, email);
      throw new ApiError(403, "admin_not_allowed", `${email} is not an admin (not on ADMIN_EMAILS)`);
    }
    return email;
  };

  const authenticate = async (
    req: Request,
    res: Response,
  ): Promise<{ actor: string; credential: AdminCredential }> => {
    const iapAssertion = req.get("x-goog-iap-jwt-assertion");
    if (iapAssertion !== undefined) {
      if (!verifyIap) {
        authFailed(req, "IAP assertion without ADMIN_IAP_AUDIENCE");
        throw unauthorized(
          res,
          "iap_not_accepted",
          "x-goog-iap-jwt-assertion is not accepted here (ADMIN_IAP_AUDIENCE is unset); use a Google ID token",
        );
      }
      return { actor: await verified(req, res, "IAP assertion", verifyIap, iapAssertion), credential: "iap" };
    }
    const match = /^Bearer (\S+)$/.exec(req.get("authorization") ?? "");
    if (!match) {
      authFailed(req, "missing bearer token");
      throw unauthorized(
        res,
        "unauthorized",
        "admin API requires Authorization: Bearer $(gcloud auth print-identity-token)",
        false,
      );
    }
    const token = match[1]!;
    if (JWT_SHAPE.test(token)) {
      if (!verifyIdToken) {
        authFailed(req, "ID token without ADMIN_ID_TOKEN_AUDIENCES");
        throw unauthorized(
          res,
          "id_token_not_accepted",
          "Google ID tokens are not accepted here (ADMIN_ID_TOKEN_AUDIENCES is unset)",
        );
      }
      return {
        actor: await verified(req, res, "Google ID token", verifyIdToken, token),
        credential: "google-id-token",
      };
    }
    if (!breakGlass) {
      authFailed(req, "shared token while break-glass is off");
      throw unauthorized(
        res,
        "break_glass_off",
        "the shared admin token is not accepted (break-glass is off); authenticate with your Google identity: Authorization: Bearer $(gcloud auth print-identity-token)",
      );
    }
    if (!timingSafeEqual(sha256(token), breakGlass)) {
      authFailed(req, "wrong bearer token");
      throw unauthorized(res, "invalid_token", "the admin bearer token is not valid");
    }
    return { actor: BREAK_GLASS_ACTOR, credential: "break-glass" };
  };

  return async (req, res, next) => {
    const { actor, credential } = await authenticate(req, res);
    if (req.get("x-admin-actor") !== undefined) {
      throw new ApiError(
        400,
        "admin_actor_refused",
        "X-Admin-Actor is not accepted: the audit actor is the identity you authenticated as",
      );
    }
    req.adminActor = actor;
    req.adminCredential = credential;
    // The request's completion line then names who made it.
    req.log = req.log.child({ adminActor: actor, adminCredential: credential });
    if (credential === "break-glass") {
      const path = req.originalUrl.split("?")[0];
      req.log.warn({ method: req.method, path }, "admin API used with the break-glass token");
      // Every use, reads included, leaves a trace (ADR 0165); a change made with it is audited as
      // `break-glass` too.
      await recordAudit(deps.db, {
        actor: BREAK_GLASS_ACTOR,
        action: BREAK_GLASS_ACTION,
        licenseId: null,
        before: null,
        after: null,
        details: { method: req.method, path, requestId: req.id },
        at: deps.clock.now(),
      });
    }
    next();
  };
}
