/**
 * The account pages (issue 17, ADR 0280), mounted at /account: server-rendered HTML on the customer API.
 * Pages only read; every change goes through the JSON API (/v1/account/*) from account.js with the CSRF
 * header, so authorization lives in one place — the API — and a page hides only what the API would refuse.
 * A page that needs a signed-in person redirects to the sign-in page when there is none.
 */
import express, { type NextFunction, type Request, type Response } from "express";
import { cookieValue } from "../../checkout/reveal.js";
import type { BillingDeps } from "../../deps.js";
import { ApiError } from "../../http/errors.js";
import { csrfTokenFor, resolveAccountSession } from "../account-session.js";
import { ACCOUNT_COOKIE, accountOf, requireAccount } from "../http/authenticate.js";
import { mountGoogleSignIn } from "./google-sign-in-routes.js";
import { homeBody, membershipsOf } from "./home-page.js";
import { html } from "./html.js";
import { type PageFrame, renderPage } from "./layout.js";
import { mountOrganizationPages } from "./organization-pages.js";
import { pageHeaders } from "./page-headers.js";
import { seatPagesRouter } from "./seats-routes.js";
import {
  acceptInvitationBody,
  brokenLinkBody,
  isLinkToken,
  signInBody,
  signOutBody,
  verifyBody,
} from "./sign-in-pages.js";
import { StaticFiles } from "./static-files.js";

export const SIGN_IN_PATH = "/account/sign-in";

type PageDeps = Pick<BillingDeps, "db" | "clock" | "config" | "kube" | "logger">;

/** requireAccount, except that "not signed in" is a redirect to the sign-in page instead of a 401. */
function requirePageAccount(deps: PageDeps) {
  const check = requireAccount(deps);
  return (req: Request, res: Response, next: NextFunction) =>
    check(req, res, (err?: unknown) => {
      if (err instanceof ApiError && err.code === "not_signed_in") return res.redirect(303, SIGN_IN_PATH);
      next(err);
    });
}

/** The signed-in person on a page that also serves people who are not (undefined then). */
async function optionalAccount(deps: PageDeps, req: Request) {
  const token = cookieValue(req.headers.cookie, ACCOUNT_COOKIE);
  const session = token ? await resolveAccountSession(deps.db, token, deps.clock.now()) : undefined;
  return session && token ? { email: session.email, csrfToken: csrfTokenFor(token) } : undefined;
}

/** The path as the person typed it (decoded), for the 404 page; escaped like every other value. */
function readablePath(path: string): string {
  try {
    return decodeURIComponent(path);
  } catch {
    return path;
  }
}

export function accountPagesRouter(deps: PageDeps, assets = new StaticFiles()): express.Router {
  const router = express.Router();
  const send = (res: Response, frame: PageFrame, status = 200) =>
    void res.status(status).type("html").send(renderPage(assets, frame));
  const signedIn = requirePageAccount(deps);

  router.use(pageHeaders);
  router.get("/static/:file", assets.handler());

  router.get("/sign-in", async (req, res) => {
    if (await optionalAccount(deps, req)) return res.redirect(303, "/account/");
    send(res, {
      title: "Sign in",
      body: signInBody({ google: Boolean(deps.config.accountGoogle?.codeFlow) }),
    });
  });

  mountGoogleSignIn(router, deps, send); // the script-free "Sign in with Google" (ADR 0286)

  router.get("/sign-in/verify", async (req, res) => {
    const token = req.query.token;
    if (!isLinkToken(token)) return send(res, { title: "Sign in", body: brokenLinkBody("sign-in") }, 400);
    send(res, {
      title: "Sign in",
      body: verifyBody(token),
      csrfToken: (await optionalAccount(deps, req))?.csrfToken,
    });
  });

  router.get("/invitations/accept", async (req, res) => {
    const token = req.query.token;
    const title = "Accept the invitation";
    if (!isLinkToken(token)) return send(res, { title, body: brokenLinkBody("invitation") }, 400);
    const account = await optionalAccount(deps, req);
    send(res, { title, body: acceptInvitationBody(token, account?.email), signedIn: account });
  });

  router.get("/sign-out", signedIn, (req, res) => {
    send(res, {
      title: "Sign out",
      body: signOutBody(),
      signedIn: { email: accountOf(req).email, csrfToken: req.accountCsrfToken! },
    });
  });

  router.get("/", signedIn, async (req, res) => {
    const account = accountOf(req);
    send(res, {
      title: "Your account",
      body: homeBody(await membershipsOf(deps.db, account.userId)),
      signedIn: { email: account.email, csrfToken: req.accountCsrfToken! },
    });
  });

  mountOrganizationPages(router, deps, signedIn, send); // overview, members, key, Docker (issue 17)
  router.use(seatPagesRouter(deps, signedIn, send)); // seats, workstations, container sessions (W9)

  // Unknown pages get an HTML answer under the pages' CSP rather than the API's JSON 404.
  router.use((req, res) => {
    const path = req.originalUrl.split("?")[0]!;
    send(
      res,
      {
        title: "Page not found",
        body: html`<p>There is no page at <code>${readablePath(path)}</code>.
<a href="/account/">Go to your organizations</a>.</p>`,
      },
      404,
    );
  });
  return router;
}
