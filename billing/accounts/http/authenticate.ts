/**
 * Authentication and authorization of the customer API (/v1/account, issue 16 §1):
 * - `requireAccount` resolves the session cookie to the signed-in person (401 `not_signed_in` otherwise)
 *   and, on every state-changing method, checks CSRF: the `X-CSRF-Token` header must be the session's CSRF
 *   token, and an `Origin` header, when sent, must be the public base URL's origin (403 `csrf_failed`).
 * - `requireRole(minimum)` checks the caller's role in the organization named by the `:organization` route
 *   parameter: not a member is 404 `organization_not_found` (an outsider cannot probe which slugs exist),
 *   a member with too few rights is 403 `forbidden` naming the role needed.
 */
import { timingSafeEqual } from "node:crypto";
import type { Request, RequestHandler, Response } from "express";
import type { Clock } from "../../../lib/clock.js";
import { cookieValue } from "../../checkout/reveal.js";
import type { Db } from "../../deps.js";
import { ApiError } from "../../http/errors.js";
import {
  type ActiveAccountSession,
  csrfTokenFor,
  hashToken,
  resolveAccountSession,
} from "../account-session.js";
import { type Role, roleAtLeast, roleIn } from "../directory.js";

export const ACCOUNT_COOKIE = "coditect_account";
export const CSRF_HEADER = "x-csrf-token";
const SAFE_METHODS = new Set(["GET", "HEAD", "OPTIONS"]);

declare module "express-serve-static-core" {
  interface Request {
    /** The signed-in customer (set by requireAccount). */
    account?: ActiveAccountSession;
    /** The CSRF token of the signed-in session (for GET /v1/account/me and server-rendered pages). */
    accountCsrfToken?: string;
    /** The caller's role in req.params.organization (set by requireRole). */
    accountRole?: Role;
  }
}

/** The session cookie covers the whole public host (its base path). */
const accountCookiePath = (publicBaseUrl: string) =>
  new URL(publicBaseUrl).pathname.replace(/\/$/, "") || "/";

/** The Set-Cookie value of a new session: HttpOnly, Secure, SameSite=Lax, for the whole public host. */
export function accountSetCookie(publicBaseUrl: string, token: string, expiresAt: Date, now: Date): string {
  const path = accountCookiePath(publicBaseUrl);
  const maxAge = Math.max(0, Math.floor((expiresAt.getTime() - now.getTime()) / 1000));
  return [
    `${ACCOUNT_COOKIE}=${token}`,
    `Path=${path}`,
    `Max-Age=${maxAge}`,
    "HttpOnly",
    "Secure",
    "SameSite=Lax",
  ].join("; ");
}

/** The Set-Cookie value that removes the session cookie (sign-out). */
export function accountClearCookie(publicBaseUrl: string): string {
  const path = accountCookiePath(publicBaseUrl);
  return `${ACCOUNT_COOKIE}=; Path=${path}; Max-Age=0; HttpOnly; Secure; SameSite=Lax`;
}

function equalHashes(a: string, b: string): boolean {
  const left = Buffer.from(a, "hex");
  const right = Buffer.from(b, "hex");
  return left.length === right.length && timingSafeEqual(left, right);
}

/** Why a state-changing request fails the CSRF check, or undefined when it passes (pure). */
export function csrfProblem(
  session: Pick<ActiveAccountSession, "csrfHash">,
  headerToken: string | undefined,
  origin: string | undefined,
  publicBaseUrl: string,
): string | undefined {
  if (origin !== undefined && origin !== new URL(publicBaseUrl).origin) {
    return `requests from origin ${JSON.stringify(origin)} are refused (only ${new URL(publicBaseUrl).origin})`;
  }
  if (!headerToken)
    return `the ${CSRF_HEADER} header is missing (it is returned by sign-in and GET /v1/account/me)`;
  if (!equalHashes(hashToken(headerToken), session.csrfHash)) {
    return `the ${CSRF_HEADER} header does not match this session's CSRF token`;
  }
  return undefined;
}

export interface AccountAuthDeps {
  db: Db;
  clock: Clock;
  config: { publicBaseUrl: string };
}

export function requireAccount(deps: AccountAuthDeps): RequestHandler {
  return async (req, _res, next) => {
    try {
      const token = cookieValue(req.headers.cookie, ACCOUNT_COOKIE);
      const session = token ? await resolveAccountSession(deps.db, token, deps.clock.now()) : undefined;
      if (!session) {
        throw new ApiError(
          401,
          "not_signed_in",
          "sign in first (the session cookie is missing, ended or expired)",
        );
      }
      if (!SAFE_METHODS.has(req.method)) {
        const problem = csrfProblem(
          session,
          req.get(CSRF_HEADER),
          req.get("origin") ?? undefined,
          deps.config.publicBaseUrl,
        );
        if (problem) throw new ApiError(403, "csrf_failed", problem);
      }
      req.account = session;
      req.accountCsrfToken = csrfTokenFor(token!);
      next();
    } catch (err) {
      next(err);
    }
  };
}

/** The organization route parameter, as named in every /v1/account/organizations/:organization route. */
export function organizationParam(req: Request): string {
  const value = req.params.organization;
  if (typeof value !== "string" || value === "") {
    throw new ApiError(400, "invalid_request", "the organization is missing from the path");
  }
  return value;
}

/** After requireAccount: the caller must hold at least `minimum` in :organization. */
export function requireRole(deps: Pick<AccountAuthDeps, "db">, minimum: Role): RequestHandler {
  return async (req, _res, next) => {
    try {
      const organization = organizationParam(req);
      const role = req.account ? await roleIn(deps.db, organization, req.account.userId) : undefined;
      if (!role) {
        throw new ApiError(
          404,
          "organization_not_found",
          `you are not a member of organization "${organization}"`,
        );
      }
      if (!roleAtLeast(role, minimum)) {
        throw new ApiError(
          403,
          "forbidden",
          `this needs the ${minimum} role (or higher) in "${organization}"; you are ${role === "admin" ? "an" : "a"} ${role}`,
        );
      }
      req.accountRole = role;
      next();
    } catch (err) {
      next(err);
    }
  };
}

/** The signed-in account of a request that passed requireAccount (throws if the middleware is missing). */
export function accountOf(req: Request): ActiveAccountSession {
  if (!req.account) throw new Error("requireAccount must run before this handler");
  return req.account;
}

/** Sets the session cookie on a response (sign-in routes). */
export function setAccountCookie(
  res: Response,
  publicBaseUrl: string,
  token: string,
  expiresAt: Date,
  now: Date,
) {
  res.append("Set-Cookie", accountSetCookie(publicBaseUrl, token, expiresAt, now));
}
