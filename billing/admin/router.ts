/**
 * /v1/admin: the admin override path (admins' Google identities, break-glass token: admin/auth.ts). Create licenses without payment, revoke,
 * suspend, reinstate, extend, override seats/containers, rotate keys, purge, list licenses, read the audit log.
 */
import { type Request, Router } from "express";
import { mirrorLicenses } from "../cluster/sync.js";
import type { Tx } from "../db/tx.js";
import { withTransaction } from "../db/tx.js";
import type { BillingDeps } from "../deps.js";
import { ApiError } from "../http/errors.js";
import { type LicenseRow, publicLicense } from "../licenses/row.js";
import type { ChangeContext } from "../licenses/store.js";
import { metricsFor } from "../ops/metrics.js";
import type { SessionCluster } from "../sessions/cluster.js";
import { markRotationEndsInCluster, sessionClusterFromConfig } from "../sessions/key-rotation.js";
import * as actions from "./actions.js";
import { requireAdmin } from "./auth.js";
import { listAuditEvents, listLicenses } from "./queries.js";
import {
  auditQuery,
  createLicenseRequest,
  extendRequest,
  licenseIdParam,
  listLicensesQuery,
  overridesRequest,
  reasonRequest,
} from "./schemas.js";

export interface AdminOptions {
  /** Where a key rotation marks the sessions it ended; default: billing's Kubernetes credentials, null = none. */
  sessionCluster?: SessionCluster | null;
}

export function adminRouter(deps: BillingDeps, options: AdminOptions = {}): Router {
  const router = Router();
  const sessionCluster =
    options.sessionCluster === undefined
      ? sessionClusterFromConfig(deps)
      : (options.sessionCluster ?? undefined);
  const metrics = metricsFor(deps.metrics);
  router.use(requireAdmin(deps));

  const context = (req: Request, action: string, details?: Record<string, unknown>): ChangeContext => ({
    // Set by requireAdmin on every request that reaches a route: the verified email or `break-glass`.
    actor: req.adminActor!,
    action,
    now: deps.clock.now(),
    paymentGraceMs: deps.config.paymentGraceMs,
    ...(details ? { details } : {}),
  });

  /** Runs one change on a locked license, mirrors it after commit and answers with the license. */
  const change =
    (
      action: string,
      parse: (req: Request) => {
        details?: Record<string, unknown>;
        apply: (tx: Tx, row: LicenseRow, ctx: ChangeContext) => Promise<LicenseRow>;
      },
    ) =>
    async (req: Request, res: import("express").Response) => {
      const { id } = licenseIdParam.parse(req.params);
      const { details, apply } = parse(req);
      const after = await withTransaction(deps.db, async (tx) =>
        apply(tx, await actions.lockedLicense(tx, id), context(req, action, details)),
      );
      metrics.licenseChanges.inc({ action });
      await mirrorLicenses(deps, [after.id]);
      res.json({ license: publicLicense(after) });
    };

  router.post("/licenses", async (req, res) => {
    const body = createLicenseRequest.parse(req.body);
    const { license, key } = await withTransaction(deps.db, (tx) =>
      actions.createGrantedLicense(
        tx,
        body,
        context(req, "license.created", {
          provisioningType: body.provisioningType,
          workstations: body.workstations,
        }),
      ),
    );
    metrics.licenseChanges.inc({ action: "license.created" });
    await mirrorLicenses(deps, [license.id]);
    res.setHeader("cache-control", "no-store");
    res.status(201).json({ license: publicLicense(license), licenseKey: key });
  });

  router.get("/licenses", async (req, res) => {
    const query = listLicensesQuery.parse(req.query);
    const rows = await listLicenses(deps.db, query);
    res.json({ licenses: rows.map(publicLicense), limit: query.limit, offset: query.offset });
  });

  router.get("/licenses/:id", async (req, res) => {
    const { id } = licenseIdParam.parse(req.params);
    const row = (await deps.db.query<LicenseRow>("SELECT * FROM licenses WHERE id = $1", [id])).rows[0];
    if (!row) throw new ApiError(404, "license_not_found", `no license ${id}`);
    res.json({ license: publicLicense(row) });
  });

  router.post(
    "/licenses/:id/revoke",
    change("license.revoked", (req) => {
      const { reason } = reasonRequest.parse(req.body);
      return { details: { reason }, apply: actions.revoke };
    }),
  );
  router.post(
    "/licenses/:id/suspend",
    change("license.suspended", (req) => {
      const { reason } = reasonRequest.parse(req.body);
      return { details: { reason }, apply: actions.suspend };
    }),
  );
  router.post(
    "/licenses/:id/reinstate",
    change("license.reinstated", (req) => {
      const { reason } = reasonRequest.parse(req.body);
      return { details: { reason }, apply: actions.reinstate };
    }),
  );
  router.post(
    "/licenses/:id/extend",
    change("license.extended", (req) => {
      const { days, reason } = extendRequest.parse(req.body);
      return { details: { days, reason }, apply: (tx, row, ctx) => actions.extend(tx, row, days, ctx) };
    }),
  );
  router.patch(
    "/licenses/:id/overrides",
    change("license.overrides_set", (req) => {
      const { reason, ...overrides } = overridesRequest.parse(req.body);
      return {
        details: { reason, ...overrides },
        apply: (tx, row, ctx) => actions.setOverrides(tx, row, overrides, ctx),
      };
    }),
  );

  router.post("/licenses/:id/rotate-key", async (req, res) => {
    const { id } = licenseIdParam.parse(req.params);
    const { reason } = reasonRequest.parse(req.body);
    const ctx = context(req, "license.key_rotated", { reason });
    const { license, key, endedSessions } = await withTransaction(deps.db, async (tx) =>
      actions.rotateKey(tx, await actions.lockedLicense(tx, id), ctx),
    );
    metrics.licenseChanges.inc({ action: "license.key_rotated" });
    await markRotationEndsInCluster(sessionCluster, req.log ?? deps.logger, endedSessions, ctx.now);
    res.setHeader("cache-control", "no-store");
    res.json({ license: publicLicense(license), licenseKey: key, endedSessions: endedSessions.length });
  });

  router.delete("/licenses/:id", async (req, res) => {
    const { id } = licenseIdParam.parse(req.params);
    const { reason } = reasonRequest.parse(req.body ?? {});
    const purged = await withTransaction(deps.db, async (tx) => {
      const row = await actions.lockedLicense(tx, id);
      await actions.purge(tx, row, context(req, "license.purged", { reason }));
      return row;
    });
    metrics.licenseChanges.inc({ action: "license.purged" });
    if (deps.kube) {
      try {
        await deps.kube.removeLicense(purged.id, purged.organization);
      } catch (err) {
        metrics.clusterSyncFailures.inc({ operation: "remove" });
        req.log.warn(
          { err, licenseId: purged.id },
          "could not remove License resource; the periodic resync retries",
        );
      }
    }
    res.status(204).end();
  });

  router.get("/audit-events", async (req, res) => {
    const query = auditQuery.parse(req.query);
    const events = await listAuditEvents(deps.db, query);
    res.json({ events, nextAfterId: events.length === query.limit ? events.at(-1)!.id : null });
  });

  return router;
}
