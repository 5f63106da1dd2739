/**
 * Admin endpoints of the outbox, mounted under /v1/admin with the same admin authentication (admin/auth.ts):
 * GET /notifications?state=failed lists messages (template data stays internal: it is not needed to decide
 * a retry), POST /notifications/{id}/retry puts a failed message back in the queue with fresh attempts.
 */
import { Router } from "express";
import { z } from "zod";
import { requireAdmin } from "../admin/auth.js";
import { recordAudit } from "../audit.js";
import { withTransaction } from "../db/tx.js";
import type { BillingDeps } from "../deps.js";
import { ApiError } from "../http/errors.js";
import { registerNotificationMetrics } from "./metrics.js";
import { listNotifications, NOTIFICATION_STATES, publicNotification, retryFailed } from "./outbox.js";

const idPattern = /^[1-9]\d{0,17}$/;

const listQuery = z.strictObject({
  state: z.enum(NOTIFICATION_STATES).default("failed"),
  limit: z.coerce.number().int().min(1).max(500).default(100),
  afterId: z.string().regex(idPattern, "must be a notification id (a positive integer)").optional(),
});
const idParam = z.object({
  id: z.string().regex(idPattern, "must be a notification id (a positive integer)"),
});

export function notificationsAdminRouter(deps: BillingDeps): Router {
  registerNotificationMetrics(deps.metrics, deps.db, (err) =>
    deps.logger.warn({ err }, "metrics: notification gauges could not be read from the database"),
  );
  const router = Router();
  router.use("/notifications", requireAdmin(deps));

  router.get("/notifications", async (req, res) => {
    const query = listQuery.parse(req.query);
    const rows = await listNotifications(deps.db, query);
    res.json({
      notifications: rows.map(publicNotification),
      nextAfterId: rows.length === query.limit ? rows.at(-1)!.id : null,
    });
  });

  router.post("/notifications/:id/retry", async (req, res) => {
    const { id } = idParam.parse(req.params);
    const now = deps.clock.now();
    const result = await withTransaction(deps.db, async (tx) => {
      const row = await retryFailed(tx, id, now);
      if (typeof row !== "string") {
        await recordAudit(tx, {
          at: now,
          actor: req.adminActor!,
          action: "notification.retried",
          licenseId: row.license_id,
          before: null,
          after: null,
          details: { notificationId: row.id, kind: row.kind, lastError: row.last_error },
        });
      }
      return row;
    });
    if (result === "not_found") throw new ApiError(404, "notification_not_found", `no notification ${id}`);
    if (result === "not_failed") {
      throw new ApiError(
        409,
        "notification_not_failed",
        `notification ${id} is not failed; only failed ones are retried`,
      );
    }
    res.json({ notification: publicNotification(result) });
  });

  return router;
}
