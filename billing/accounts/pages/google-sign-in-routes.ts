/**
 * The pages' "Sign in with Google" (ADR 0286): GET /account/sign-in/google sends the browser to Google's
 * authorization endpoint; GET /account/sign-in/google/callback takes Google's answer, exchanges the code and
 * signs in through the same function as POST /v1/account/sign-in/google, then goes to /account/. A plain
 * link starts it (no Google script: the pages' CSP allows none, ADR 0280); a link and not a form, because
 * the CSP's `form-action 'self'` would stop a form's redirect to Google. Every refusal is the sign-in page
 * with the reason, as a 4xx; nothing is created before the ID token passed every check.
 */
import type { Response, Router } from "express";
import { cookieValue } from "../../checkout/reveal.js";
import type { BillingDeps } from "../../deps.js";
import { ApiError } from "../../http/errors.js";
import { googleSignIn } from "../auth/google.js";
import {
  checkCallback,
  exchangeCode,
  GOOGLE_FLOW_COOKIE,
  pendingClearCookie,
  pendingSetCookie,
  readPending,
  startGoogleSignIn,
} from "../auth/google-code-flow.js";
import { setAccountCookie } from "../http/authenticate.js";
import type { PageSend } from "./layout.js";
import { signInBody } from "./sign-in-pages.js";

type PageDeps = Pick<BillingDeps, "db" | "clock" | "config" | "logger">;

const NOT_CONFIGURED = "Sign-in with Google is not available here. Sign in with your email address instead.";

export function mountGoogleSignIn(router: Router, deps: PageDeps, send: PageSend): void {
  const { config, clock, logger } = deps;
  const signIn = googleSignIn(deps);
  const refuse = (res: Response, error: ApiError) =>
    send(res, { title: "Sign in", body: signInBody({ google: true, problem: error.message }) }, error.status);
  const unavailable = (res: Response) =>
    send(res, { title: "Sign in", body: signInBody({ google: false, problem: NOT_CONFIGURED }) }, 404);

  router.get("/sign-in/google", (_req, res) => {
    const google = config.accountGoogle;
    if (!google?.codeFlow) return unavailable(res);
    const { location, pending } = startGoogleSignIn(
      google,
      google.codeFlow,
      config.publicBaseUrl,
      clock.now(),
    );
    res.append("Set-Cookie", pendingSetCookie(pending, config.publicBaseUrl));
    res.redirect(303, location);
  });

  router.get("/sign-in/google/callback", async (req, res) => {
    const google = config.accountGoogle;
    if (!google?.codeFlow || !signIn) return unavailable(res);
    res.append("Set-Cookie", pendingClearCookie(config.publicBaseUrl));
    const checked = checkCallback(
      req.query,
      readPending(cookieValue(req.headers.cookie, GOOGLE_FLOW_COOKIE)),
      clock.now(),
    );
    if (checked instanceof ApiError) return refuse(res, checked);
    try {
      const idToken = await exchangeCode(
        google,
        google.codeFlow,
        config.publicBaseUrl,
        checked.code,
        checked.pending.verifier,
      );
      const { session } = await signIn(idToken, checked.pending.nonce);
      setAccountCookie(res, config.publicBaseUrl, session.token, session.expiresAt, clock.now());
      res.redirect(303, "/account/");
    } catch (error) {
      if (!(error instanceof ApiError)) throw error;
      // The code refused: what Google said (its error name), never the code, verifier or secret.
      logger.warn({ code: error.code, status: error.status }, "Google sign-in refused");
      refuse(res, error);
    }
  });
}
