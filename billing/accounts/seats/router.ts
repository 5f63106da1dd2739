/**
 * Seat routes of the customer API (issue 16 §1):
 *   GET    /v1/account/organizations/:organization/licenses/:licenseId/seats           viewer+
 *   POST   /v1/account/organizations/:organization/licenses/:licenseId/seats {userId}  admin+
 *   DELETE /v1/account/organizations/:organization/licenses/:licenseId/seats/:userId   admin+
 * Authentication is per route (never router.use): other workstreams' routers share /v1/account, and their
 * public routes (sign-in) must not meet this router's 401.
 */
import { type Request, Router } from "express";
import { z } from "zod";
import { withTransaction } from "../../db/tx.js";
import { ApiError } from "../../http/errors.js";
import { accountOf, organizationParam, requireAccount, requireRole } from "../http/authenticate.js";
import type { AccountRouteDeps } from "./route-deps.js";
import { assignSeat, listSeats, unassignSeat } from "./seats.js";

const uuid = z.uuid();

/** A path parameter that must be a UUID: 400 naming the parameter and the value otherwise. */
export function uuidParam(req: Request, name: string): string {
  const value = req.params[name];
  if (typeof value !== "string" || !uuid.safeParse(value).success) {
    throw new ApiError(400, "invalid_request", `${name} must be a UUID, got ${JSON.stringify(value)}`);
  }
  return value.toLowerCase();
}

export const assignSeatBody = z.strictObject({ userId: z.uuid() });

export function seatsRouter(deps: AccountRouteDeps): Router {
  const router = Router();
  const base = "/organizations/:organization/licenses/:licenseId/seats";
  const signedIn = requireAccount(deps);

  router.get(base, signedIn, requireRole(deps, "viewer"), async (req, res, next) => {
    try {
      res.json(await listSeats(deps.db, organizationParam(req), uuidParam(req, "licenseId")));
    } catch (err) {
      next(err);
    }
  });

  router.post(base, signedIn, requireRole(deps, "admin"), async (req, res, next) => {
    try {
      const organization = organizationParam(req);
      const licenseId = uuidParam(req, "licenseId");
      const { userId } = assignSeatBody.parse(req.body);
      const now = deps.clock.now();
      const result = await withTransaction(deps.db, (tx) =>
        assignSeat(tx, { organization, licenseId, userId, actor: `account:${accountOf(req).email}`, now }),
      );
      res.status(result.created ? 201 : 200).json(result.seat);
    } catch (err) {
      next(err);
    }
  });

  router.delete(`${base}/:userId`, signedIn, requireRole(deps, "admin"), async (req, res, next) => {
    try {
      const organization = organizationParam(req);
      const licenseId = uuidParam(req, "licenseId");
      const userId = uuidParam(req, "userId");
      const now = deps.clock.now();
      const followUp = await withTransaction(deps.db, (tx) =>
        unassignSeat(tx, { organization, licenseId, userId, actor: `account:${accountOf(req).email}`, now }),
      );
      await deps.followUp(followUp, now);
      res.status(204).end();
    } catch (err) {
      next(err);
    }
  });
  return router;
}
