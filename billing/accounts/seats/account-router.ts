/**
 * W2's part of the customer API, mounted at /v1/account by billing/app.ts: seats, workstations and
 * container sessions of an organization (issue 16 §1).
 */
import { Router } from "express";
import type { BillingDeps } from "../../deps.js";
import { containerSessionsRouter } from "../container-sessions/router.js";
import { workstationsRouter } from "../workstations/router.js";
import { type AccountRouteDeps, type AccountRouteOptions, accountRouteDeps } from "./route-deps.js";
import { seatsRouter } from "./router.js";

/** `routeDeps`: the caller's, when it already built them (app.ts shares one set with member removal). */
export function seatsWorkstationsRouter(
  deps: BillingDeps,
  options: AccountRouteOptions = {},
  routeDeps: AccountRouteDeps = accountRouteDeps(deps, options),
): Router {
  const router = Router();
  router.use(seatsRouter(routeDeps));
  router.use(workstationsRouter({ ...routeDeps, logger: deps.logger }));
  router.use(containerSessionsRouter(routeDeps));
  return router;
}
