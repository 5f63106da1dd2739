/**
 * Workstation routes of the customer API (issue 16 §1, ADR 0230):
 *   GET  …/workstations                       viewer+ (every member sees the organization's workstations)
 *   POST …/workstations/:name/assign {userId}  admin+
 *   POST …/workstations/:name/unassign         admin+
 *   POST …/workstations/:name/start | stop     member+ (a member only their own; admin+ any)
 * Authentication per route (never router.use): other routers share /v1/account.
 */
import { type Request, Router } from "express";
import type { Logger } from "pino";
import { z } from "zod";
import { withTransaction } from "../../db/tx.js";
import { ApiError } from "../../http/errors.js";
import { accountOf, organizationParam, requireAccount, requireRole } from "../http/authenticate.js";
import type { AccountRouteDeps } from "../seats/route-deps.js";
import { assignSeatBody } from "../seats/router.js";
import { assignWorkstation, setDesiredState, unassignWorkstation } from "./assignment.js";
import { listOrganizationWorkstations, workstationViewOf } from "./list.js";

const WORKSTATION_NAME = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

function nameParam(req: Request): string {
  const value = req.params.name;
  if (typeof value !== "string" || value.length > 63 || !WORKSTATION_NAME.test(value)) {
    throw new ApiError(
      400,
      "invalid_request",
      `name must be a workstation name (lower-case DNS label), got ${JSON.stringify(value)}`,
    );
  }
  return value;
}

const emptyBody = z.strictObject({});

export function workstationsRouter(deps: AccountRouteDeps & { logger: Logger }): Router {
  const router = Router();
  const base = "/organizations/:organization/workstations";
  const signedIn = requireAccount(deps);
  const actorOf = (req: Request) => `account:${accountOf(req).email}`;

  router.get(base, signedIn, requireRole(deps, "viewer"), async (req, res, next) => {
    try {
      res.json(await listOrganizationWorkstations(deps.db, deps.kube, deps.logger, organizationParam(req)));
    } catch (err) {
      next(err);
    }
  });

  router.post(`${base}/:name/assign`, signedIn, requireRole(deps, "admin"), async (req, res, next) => {
    try {
      const organization = organizationParam(req);
      const name = nameParam(req);
      const { userId } = assignSeatBody.parse(req.body);
      const now = deps.clock.now();
      const followUp = await withTransaction(deps.db, (tx) =>
        assignWorkstation(tx, { organization, name, userId, actor: actorOf(req), now }),
      );
      await deps.followUp(followUp, now);
      res.json(await workstationViewOf(deps.db, organization, name));
    } catch (err) {
      next(err);
    }
  });

  router.post(`${base}/:name/unassign`, signedIn, requireRole(deps, "admin"), async (req, res, next) => {
    try {
      const organization = organizationParam(req);
      const name = nameParam(req);
      emptyBody.parse(req.body ?? {});
      const now = deps.clock.now();
      const followUp = await withTransaction(deps.db, (tx) =>
        unassignWorkstation(tx, { organization, name, actor: actorOf(req), now }),
      );
      await deps.followUp(followUp, now);
      res.json(await workstationViewOf(deps.db, organization, name));
    } catch (err) {
      next(err);
    }
  });

  for (const [verb, state] of [
    ["start", "Running"],
    ["stop", "Stopped"],
  ] as const) {
    router.post(`${base}/:name/${verb}`, signedIn, requireRole(deps, "member"), async (req, res, next) => {
      try {
        const organization = organizationParam(req);
        const name = nameParam(req);
        emptyBody.parse(req.body ?? {});
        const now = deps.clock.now();
        const caller = { userId: accountOf(req).userId, role: req.accountRole! };
        const followUp = await withTransaction(deps.db, (tx) =>
          setDesiredState(tx, { organization, name, state, caller, actor: actorOf(req), now }),
        );
        await deps.followUp(followUp, now);
        res.json(await workstationViewOf(deps.db, organization, name));
      } catch (err) {
        next(err);
      }
    });
  }
  return router;
}
