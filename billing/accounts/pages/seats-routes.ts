/**
 * The routes of the seat, workstation and container-session pages (issue 17), appended to the account
 * pages' router: GET /account/organizations/:organization/{seats,workstations,sessions}. Any member (viewer
 * and up) may read them, exactly as the API's GETs allow; an outsider gets the API's 404 (no probing which
 * organizations exist), as an HTML page. What a page offers depends on the role; the API decides anyway.
 */
import express, { type NextFunction, type Request, type Response } from "express";
import type { BillingDeps } from "../../deps.js";
import { ApiError } from "../../http/errors.js";
import { accountOf, organizationParam, requireRole } from "../http/authenticate.js";
import { html, type SafeHtml } from "./html.js";
import type { PageSend } from "./layout.js";
import { seatsBody, seatsPageData } from "./seats-page.js";
import { sessionsBody, sessionsPageData } from "./sessions-page.js";
import { workstationsBody, workstationsPageData } from "./workstations-page.js";

export type SeatPagesDeps = Pick<BillingDeps, "db" | "clock" | "config" | "kube" | "logger">;

const OWN_PAGE = /^\/organizations\/[^/]+\/(seats|workstations|sessions)\/?$/;

/** `signedIn` and `send`: the account pages' router's own (sign-in redirect, page rendering). */
export function seatPagesRouter(
  deps: SeatPagesDeps,
  signedIn: express.RequestHandler,
  send: PageSend,
): express.Router {
  const router = express.Router();
  const viewer = requireRole(deps, "viewer");

  const page =
    (title: string, body: (req: Request, organization: string) => Promise<SafeHtml>) =>
    async (req: Request, res: Response, next: NextFunction) => {
      try {
        const organization = organizationParam(req);
        const content = await body(req, organization);
        const account = accountOf(req);
        send(res, {
          title: `${title} · ${organization}`,
          body: content,
          signedIn: { email: account.email, csrfToken: req.accountCsrfToken! },
        });
      } catch (err) {
        next(err);
      }
    };
  const who = (req: Request) => ({ userId: accountOf(req).userId, role: req.accountRole! });
  const base = "/organizations/:organization";

  router.get(
    `${base}/seats`,
    signedIn,
    viewer,
    page("Seats", async (req, organization) =>
      seatsBody(await seatsPageData(deps.db, organization), who(req)),
    ),
  );
  router.get(
    `${base}/workstations`,
    signedIn,
    viewer,
    page("Workstations", async (req, organization) =>
      workstationsBody(await workstationsPageData(deps.db, deps.kube, deps.logger, organization), who(req)),
    ),
  );
  router.get(
    `${base}/sessions`,
    signedIn,
    viewer,
    page("Container sessions", async (req, organization) =>
      sessionsBody(await sessionsPageData(deps.db, organization, deps.clock.now()), who(req)),
    ),
  );

  // A refusal of these pages (not a member: 404; a broken path) as a page, not the API's JSON.
  router.use((err: unknown, req: Request, res: Response, next: NextFunction) => {
    if (!(err instanceof ApiError) || !OWN_PAGE.test(req.path)) {
      return next(err);
    }
    send(
      res,
      {
        title: err.status === 404 ? "Not found" : "Not allowed",
        body: html`<p role="alert">${err.message}.</p><p><a href="/account/">Go to your organizations</a>.</p>`,
      },
      err.status,
    );
  });
  return router;
}
