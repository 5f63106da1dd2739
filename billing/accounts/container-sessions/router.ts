/**
 * GET /v1/account/organizations/:organization/container-sessions?state=active|ended|all (viewer+).
 * Authentication per route (never router.use): other routers share /v1/account.
 */
import { Router } from "express";
import { z } from "zod";
import { organizationParam, requireAccount, requireRole } from "../http/authenticate.js";
import type { AccountRouteDeps } from "../seats/route-deps.js";
import { listContainerSessions, SESSION_LIST_STATES } from "./list.js";

const query = z.strictObject({ state: z.enum(SESSION_LIST_STATES).default("active") });

export function containerSessionsRouter(deps: AccountRouteDeps): Router {
  const router = Router();
  router.get(
    "/organizations/:organization/container-sessions",
    requireAccount(deps),
    requireRole(deps, "viewer"),
    async (req, res, next) => {
      try {
        const { state } = query.parse(req.query);
        res.json(await listContainerSessions(deps.db, organizationParam(req), state, deps.clock.now()));
      } catch (err) {
        next(err);
      }
    },
  );
  return router;
}
