/** /healthz (process is up), /readyz (database and, if configured, the Kubernetes API answer), /metrics. */
import { Router } from "express";
import type { BillingDeps } from "../deps.js";
import { registerStateMetrics } from "./state-metrics.js";

export function opsRouter(deps: BillingDeps): Router {
  const router = Router();
  registerStateMetrics(deps.metrics, deps.db, deps.clock, (err) =>
    deps.logger.warn({ err }, "metrics: license and session gauges could not be read from the database"),
  );
  router.get("/healthz", (_req, res) => {
    res.json({ status: "ok" });
  });
  router.get("/readyz", async (req, res) => {
    const checks: Record<string, string> = {};
    try {
      await deps.db.query("SELECT 1");
      checks.database = "ok";
    } catch (err) {
      req.log.warn({ err }, "readiness: database unreachable");
      checks.database = "unreachable";
    }
    if (deps.kube) {
      try {
        await deps.kube.ping();
        checks.cluster = "ok";
      } catch (err) {
        req.log.warn({ err }, "readiness: Kubernetes API unreachable");
        checks.cluster = "unreachable";
      }
    } else {
      checks.cluster = "disabled";
    }
    const ready = Object.values(checks).every((v) => v === "ok" || v === "disabled");
    res.status(ready ? 200 : 503).json({ status: ready ? "ready" : "not_ready", checks });
  });
  router.get("/metrics", async (_req, res) => {
    res.type(deps.metrics.contentType).send(await deps.metrics.metrics());
  });
  return router;
}
