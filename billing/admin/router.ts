/**
 * /v1/admin: the admin override path (admins' Google identities, break-glass token: admin/auth.ts). Create licenses without payment, revoke,
 * suspend, reinstate, extend, override seats/containers, rotate keys, purge, list licenses, read the audit log.
 */
import { type Request, Router } from "express";
import { mirrorLicenses } from "../cluster/sync.js";
import type { Tx } from "../db/tx.js";
import { withTransaction } from "../db/tx.js";
import type { BillingDeps } from "../deps.js";
import { ApiError, toErrorResponse } from "../http/errors.js";
import { type LicenseRow, publicLicense } from "../licenses/row.js";
import type { ChangeContext } from "../licenses/store.js";
import { metricsFor } from "../ops/metrics.js";
import type { SessionCluster } from "../sessions/cluster.js";
import { markRotationEndsInCluster, sessionClusterFromConfig } from "../sessions/key-rotation.js";
import * as actions from "./actions.js";
import { requireAdmin } from "./auth.js";
import { provisionLicense, provisionWorkstation, publicWorkstationRow } from "./provision.js";
import { listAuditEvents, listLicenses, listWorkstations } from "./queries.js";
import {
  auditQuery,
  batchLicensesRequest,
  createLicenseRequest,
  extendRequest,
  licenseIdParam,
  listLicensesQuery,
  listWorkstationsQuery,
  overridesRequest,
  provisionWorkstationRequest,
  reasonRequest,
} from "./schemas.js";
import { type WorkstationStatusReader, workstationStatusFromConfig } from "./workstation-status.js";

export interface AdminOptions {
  /** Where a key rotation marks the sessions it ended; default: billing's Kubernetes credentials, null = none. */
  sessionCluster?: SessionCluster | null;
  /** Where GET /workstations reads Workstation status; default: billing's Kubernetes credentials, null = none. */
  workstationStatus?: WorkstationStatusReader | null;
}

export function adminRouter(deps: BillingDeps, options: AdminOptions = {}): Router {
  const router = Router();
  const sessionCluster =
    options.sessionCluster === undefined
      ? sessionClusterFromConfig(deps)
      : (options.sessionCluster ?? undefined);
  const workstationStatus =
    options.workstationStatus === undefined
      ? workstationStatusFromConfig(deps)
      : (options.workstationStatus ?? undefined);
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
    const { license, key, userId } = await withTransaction(deps.db, (tx) =>
      provisionLicense(
        tx,
        body,
        context(req, "license.created", {
          provisioningType: body.provisioningType,
          workstations: body.workstations,
        }),
        deps.config.publicBaseUrl,
      ),
    );
    metrics.licenseChanges.inc({ action: "license.created" });
    await mirrorLicenses(deps, [license.id]);
    res.setHeader("cache-control", "no-store");
    res.status(201).json({ license: publicLicense(license), licenseKey: key, userId });
  });

  /**
   * Batch provisioning of pilot licenses (seeds A.13, ADR 0251): the body is validated whole (a malformed
   * entry is a 400 that creates nothing); then one transaction per entry, so an entry that conflicts (an
   * organization that is someone else's) or fails fails alone and the others are created.
   */
  router.post("/licenses/batch", async (req, res) => {
    const { licenses: entries } = batchLicensesRequest.parse(req.body);
    const success: {
      index: number;
      license: ReturnType<typeof publicLicense>;
      licenseKey: string;
      userId: string;
    }[] = [];
    const failed: { index: number; error: { code: string; message: string } }[] = [];
    for (const [index, body] of entries.entries()) {
      try {
        const created = await withTransaction(deps.db, (tx) =>
          provisionLicense(
            tx,
            body,
            context(req, "license.created", {
              provisioningType: body.provisioningType,
              workstations: body.workstations,
              batch: { index, total: entries.length },
            }),
            deps.config.publicBaseUrl,
          ),
        );
        metrics.licenseChanges.inc({ action: "license.created" });
        success.push({
          index,
          license: publicLicense(created.license),
          licenseKey: created.key,
          userId: created.userId,
        });
      } catch (err) {
        const { status, body } = toErrorResponse(err);
        if (status >= 500) req.log.warn({ err, index }, "batch entry failed");
        failed.push({ index, error: body.error });
      }
    }
    await mirrorLicenses(
      deps,
      success.map((s) => s.license.id),
    );
    res.setHeader("cache-control", "no-store");
    res.json({ success, failed, total: entries.length });
  });

  /** A workstation for a user on a license (seeds A.13); the feed creates the resource after commit. */
  router.post("/workstations", async (req, res) => {
    const body = provisionWorkstationRequest.parse(req.body);
    const row = await withTransaction(deps.db, (tx) =>
      provisionWorkstation(
        tx,
        body,
        context(req, "workstation.provisioned", body.reason ? { reason: body.reason } : undefined),
      ),
    );
    await mirrorLicenses(deps, [row.license_id]);
    res.status(201).json({ workstation: publicWorkstationRow(row) });
  });

  /** Workstations from Postgres, each with its Workstation resource's status when billing has a cluster. */
  router.get("/workstations", async (req, res) => {
    const query = listWorkstationsQuery.parse(req.query);
    const rows = await listWorkstations(deps.db, query);
    let statuses: Map<string, unknown> | undefined;
    let cluster: "ok" | "unavailable" | "off" = "off";
    if (workstationStatus) {
      try {
        statuses = await workstationStatus.list();
        cluster = "ok";
      } catch (err) {
        req.log.warn({ err }, "could not read Workstation resources; listing without their status");
        cluster = "unavailable";
      }
    }
    res.json({
      workstations: rows.map((row) => ({
        ...publicWorkstationRow(row),
        status: statuses?.get(`${row.namespace}/${row.name}`) ?? null,
      })),
      cluster,
      limit: query.limit,
      offset: query.offset,
    });
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
