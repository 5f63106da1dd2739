/**
 * GET /v1/account/organizations/:organization (viewer+): the overview; POST …/licenses/:licenseId/rotate-key
 * (owner only): the admin rotation (billing/admin/actions.ts rotateKey: new key shown once, the old key's
 * container sessions end at once, key_rotated mailed, audited) with the owner as the audit actor.
 */
import { Router } from "express";
import { z } from "zod";
import * as actions from "../../admin/actions.js";
import { withTransaction } from "../../db/tx.js";
import type { BillingDeps } from "../../deps.js";
import { ApiError } from "../../http/errors.js";
import type { SessionCluster } from "../../sessions/cluster.js";
import { markRotationEndsInCluster, sessionClusterFromConfig } from "../../sessions/key-rotation.js";
import { accountOf, organizationParam, requireAccount, requireRole } from "../http/authenticate.js";
import { accountActor } from "../team/invitations.js";
import { organizationOverview } from "./overview.js";

const licenseIdParam = z.object({ licenseId: z.uuid({ message: "must be a license id (a UUID)" }) });

export interface OverviewOptions {
  /** Where a rotation marks the sessions it ended; default: billing's Kubernetes credentials, null = none. */
  sessionCluster?: SessionCluster | null;
}

export function accountOverviewRouter(deps: BillingDeps, options: OverviewOptions = {}): Router {
  const router = Router();
  const { db, clock, config } = deps;
  const signedIn = requireAccount(deps);
  const sessionCluster =
    options.sessionCluster === undefined
      ? sessionClusterFromConfig(deps)
      : (options.sessionCluster ?? undefined);

  router.get("/organizations/:organization", signedIn, requireRole(deps, "viewer"), async (req, res) => {
    const organization = organizationParam(req);
    const now = clock.now();
    res.json({
      organization: { slug: organization, role: req.accountRole },
      licenses: await organizationOverview(db, organization, now),
    });
  });

  router.post(
    "/organizations/:organization/licenses/:licenseId/rotate-key",
    signedIn,
    requireRole(deps, "owner"),
    async (req, res) => {
      const organization = organizationParam(req);
      const { licenseId } = licenseIdParam.parse(req.params);
      const now = clock.now();
      const actor = accountActor(accountOf(req).email);
      const { key, endedSessions } = await withTransaction(db, async (tx) => {
        const row = await tx.query<{ organization: string }>(
          "SELECT organization FROM licenses WHERE id = $1",
          [licenseId],
        );
        if (row.rows[0]?.organization !== organization) {
          throw new ApiError(404, "license_not_found", `no license ${licenseId} in ${organization}`);
        }
        return actions.rotateKey(tx, await actions.lockedLicense(tx, licenseId), {
          actor,
          action: "license.key_rotated",
          now,
          paymentGraceMs: config.paymentGraceMs,
          details: { via: "account" },
        });
      });
      await markRotationEndsInCluster(sessionCluster, req.log ?? deps.logger, endedSessions, now);
      res.setHeader("cache-control", "no-store");
      res.json({ licenseId, licenseKey: key, endedSessions: endedSessions.length });
    },
  );

  return router;
}
