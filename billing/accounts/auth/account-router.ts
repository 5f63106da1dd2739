/**
 * Everything W1 of issue 16 serves under /v1/account, as one router for app.ts: sign-in, members and
 * invitations, the overview and key rotation.
 */
import { Router } from "express";
import type { BillingDeps } from "../../deps.js";
import { accountOverviewRouter, type OverviewOptions } from "../overview/router.js";
import { accountTeamRouter, type TeamOptions } from "../team/router.js";
import { accountAuthRouter } from "./router.js";

export function accountRouter(deps: BillingDeps, options: TeamOptions & OverviewOptions = {}): Router {
  const router = Router();
  router.use(accountAuthRouter(deps));
  router.use(accountTeamRouter(deps, options));
  router.use(accountOverviewRouter(deps, options));
  return router;
}
