/**
 * Request ids and one JSON log line per request. The query string is never logged (the checkout success
 * URL carries a session id) and the logger redacts credentials (see billing/ops/logger.ts). The line carries
 * the client's address as `req.ip` resolves it behind the load balancer.
 */
import { randomUUID } from "node:crypto";
import type { RequestHandler } from "express";
import type { Logger } from "pino";
import { parseTraceContext, traceFields } from "../../lib/logger.js";
import type { BillingMetrics } from "./metrics.js";

declare module "express-serve-static-core" {
  interface Request {
    id: string;
    log: Logger;
  }
}

/**
 * The matched route as a template (`/v1/admin/licenses/:id`) for metric labels, never the raw path (which
 * would make one series per license id). Express has reset req.baseUrl by the time the response finishes,
 * so the mount prefix is recovered as the leading segments of the path the route pattern did not match.
 */
export function routeTemplate(path: string, routePath: string | undefined): string {
  if (typeof routePath !== "string") return "unmatched";
  const segments = path.split("/");
  const routeSegments = routePath.split("/").length;
  return `${segments.slice(0, Math.max(1, segments.length - routeSegments + 1)).join("/")}${routePath}`.replace(
    /^\/\//,
    "/",
  );
}

const REQUEST_ID_PATTERN = /^[A-Za-z0-9._-]{1,64}$/;

/**
 * `projectId` (GOOGLE_CLOUD_PROJECT) turns the load balancer's trace header into Cloud Logging's
 * `logging.googleapis.com/trace`, so every line of one request shows under its trace.
 */
export function requestLogging(
  logger: Logger,
  metrics: BillingMetrics,
  projectId?: string | undefined,
): RequestHandler {
  return (req, res, next) => {
    const incoming = req.get("x-request-id");
    req.id = incoming && REQUEST_ID_PATTERN.test(incoming) ? incoming : randomUUID();
    const trace = parseTraceContext({
      traceparent: req.get("traceparent"),
      cloudTraceContext: req.get("x-cloud-trace-context"),
    });
    req.log = logger.child({ requestId: req.id, ...traceFields(trace, projectId) });
    res.setHeader("x-request-id", req.id);
    const started = process.hrtime.bigint();
    res.on("finish", () => {
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      const route = routeTemplate(req.originalUrl.split("?")[0] ?? "", req.route?.path);
      metrics.httpRequestDuration.observe(
        { method: req.method, route, status: String(res.statusCode) },
        seconds,
      );
      // 5xx are errors someone must look at; 4xx are the caller's mistakes (warnings would drown them).
      req.log[res.statusCode >= 500 ? "error" : "info"](
        {
          method: req.method,
          path: req.originalUrl.split("?")[0],
          status: res.statusCode,
          // The client, not the load balancer: `trust proxy` 2 reads it from Google's X-Forwarded-For
          // (ADR 0146), so an investigation can follow one address across requests (issue 13 L2b).
          clientIp: req.ip,
          ms: Math.round(seconds * 1000),
        },
        "request",
      );
    });
    next();
  };
}
