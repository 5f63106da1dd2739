/**
 * Customer sign-in routes under /v1/account (issue 16 §1, ADR 0220): magic link request and verification,
 * Google ID token, sign-out and GET /me. The sign-in routes run before anyone is signed in, so CSRF here
 * is the Origin check only ("login CSRF": another site must not sign a browser into an account of its
 * choosing); a browser always sends Origin on a cross-site POST.
 */
import { type Request, type RequestHandler, Router } from "express";
import { z } from "zod";
import { withTransaction } from "../../db/tx.js";
import type { BillingDeps } from "../../deps.js";
import { ApiError } from "../../http/errors.js";
import { namedLimit, type RateLimitRule, takeLocal, takeShared } from "../../sessions/rate-limit.js";
import { endAccountSession, hashToken } from "../account-session.js";
import type { UserRow } from "../directory.js";
import { accountClearCookie, accountOf, requireAccount, setAccountCookie } from "../http/authenticate.js";
import { googleNotConfigured, googleSignIn } from "./google.js";
import { consumeMagicLink, requestMagicLink } from "./magic-link.js";
import { organizationsOf } from "./me.js";

/**
 * Per address: a person asks a few times (a typo, a slow mail); more is someone mailing a victim. Per client
 * IP: a company NAT signs many people in, but one address cannot make billing a mail cannon.
 */
export const SIGN_IN_RATE_LIMITS = {
  address: { limit: 5, windowMs: 15 * 60_000 },
  ip: { limit: 30, windowMs: 15 * 60_000 },
} as const satisfies Record<string, RateLimitRule>;

const email = z.email({ message: "must be an email address" }).max(320, "must be at most 320 characters");
const emailRequest = z.strictObject({ email });
const tokenRequest = z.strictObject({ token: z.string().min(1, "is required").max(200, "is too long") });
const googleRequest = z.strictObject({
  idToken: z.string().min(1, "is required").max(8192, "is too long"),
});

/** A POST whose Origin is another site's (see the header comment), or undefined when it is ours or absent. */
export function foreignOriginProblem(
  origin: string | undefined,
  publicBaseUrl: string,
): ApiError | undefined {
  const allowed = new URL(publicBaseUrl).origin;
  if (origin === undefined || origin === allowed) return undefined;
  return new ApiError(
    403,
    "csrf_failed",
    `requests from origin ${JSON.stringify(origin)} are refused (only ${allowed})`,
  );
}

export function sameOriginOnly(publicBaseUrl: string): RequestHandler {
  return (req, _res, next) => next(foreignOriginProblem(req.get("origin") ?? undefined, publicBaseUrl));
}

const publicUser = (user: UserRow) => ({ id: user.id, email: user.email });

export function accountAuthRouter(deps: BillingDeps): Router {
  const router = Router();
  const { config, clock, db } = deps;
  const perAddress = namedLimit(deps, "account_sign_in_address", SIGN_IN_RATE_LIMITS.address);
  const perIp = namedLimit(deps, "account_sign_in_ip", SIGN_IN_RATE_LIMITS.ip);
  const sameOrigin = sameOriginOnly(config.publicBaseUrl);
  const signInWithGoogle = googleSignIn(deps);

  const signedIn = (
    res: import("express").Response,
    user: UserRow,
    session: { token: string; csrfToken: string; expiresAt: Date },
  ) => {
    setAccountCookie(res, config.publicBaseUrl, session.token, session.expiresAt, clock.now());
    res.setHeader("cache-control", "no-store");
    res.json({ user: publicUser(user), csrfToken: session.csrfToken });
  };

  router.post("/sign-in/email", sameOrigin, async (req, res) => {
    const body = emailRequest.parse(req.body);
    // Keys are hashes (never raw input) so a flood of addresses costs bounded memory (ADR 0146).
    const charges = [
      { limit: perAddress, key: hashToken(body.email.trim().toLowerCase()) },
      { limit: perIp, key: clientIp(req) },
    ];
    const local = takeLocal(charges);
    if (!local.allowed) throw tooMany(local.retryAfterSeconds);
    const shared = await takeShared(charges);
    if (!shared.allowed) throw tooMany(shared.retryAfterSeconds);
    await withTransaction(db, (tx) => requestMagicLink(tx, body.email, config.publicBaseUrl, clock.now()));
    res.status(202).json({
      message:
        "if this address can receive mail, a sign-in link is on its way; it works once, for 15 minutes",
    });
  });

  router.post("/sign-in/email/verify", sameOrigin, async (req, res) => {
    const { token } = tokenRequest.parse(req.body);
    const { user, session } = await withTransaction(db, (tx) => consumeMagicLink(tx, token, clock.now()));
    signedIn(res, user, session);
  });

  router.post("/sign-in/google", sameOrigin, async (req, res) => {
    if (!signInWithGoogle) throw googleNotConfigured();
    const { idToken } = googleRequest.parse(req.body);
    const { user, session } = await signInWithGoogle(idToken);
    signedIn(res, user, session);
  });

  router.post("/sign-out", requireAccount(deps), async (req, res) => {
    await endAccountSession(db, accountOf(req).tokenHash, clock.now());
    res.append("Set-Cookie", accountClearCookie(config.publicBaseUrl));
    res.status(204).end();
  });

  router.get("/me", requireAccount(deps), async (req, res) => {
    const account = accountOf(req);
    res.setHeader("cache-control", "no-store");
    res.json({
      user: { id: account.userId, email: account.email },
      csrfToken: req.accountCsrfToken,
      organizations: await organizationsOf(db, account.userId),
    });
  });

  return router;
}

function clientIp(req: Request): string {
  return req.ip ?? req.socket.remoteAddress ?? "unknown";
}

function tooMany(retryAfterSeconds: number): ApiError {
  return new ApiError(
    429,
    "rate_limited",
    `too many sign-in requests; retry after ${retryAfterSeconds} s`,
    retryAfterSeconds,
  );
}
