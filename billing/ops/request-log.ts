/**
 * Request ids and one JSON log line per request. The query string is never logged (the checkout success
 * URL carries a session id) and the logger redacts credentials (see billing/ops/logger.ts) — except on a
 * request line whose fields are all known to need none (UNREDACTED_FIELDS). The line carries the client's
 * address as `req.ip` resolves it behind the load balancer.
 */
import { randomUUID } from "node:crypto";
import type { Request, RequestHandler } from "express";
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

/** The base logger, the request's fields (id, trace, then what handlers add) and its child, once made. */
const BASE = Symbol("requestLogBase");
const FIELDS = Symbol("requestLogFields");
const CHILD = Symbol("requestLogChild");

interface LoggedRequest {
  [BASE]?: Logger;
  [FIELDS]?: Record<string, unknown>;
  [CHILD]?: Logger;
}

/**
 * `req.log` is made on first use (ADR 0307): a pino child per request, with its bindings serialized and
 * redacted, cost more than the request line itself, and most requests log nothing but that line. An
 * accessor on the app's request prototype (Express gives each request that prototype) makes the child
 * from the request's fields when a handler reads req.log; assigning req.log (admin auth's child with the
 * actor) replaces it as before. Own properties set per request would cost more than they save.
 */
const lazyPrototypes = new WeakSet<object>();

function installLazyLog(prototype: object): void {
  Object.defineProperty(prototype, "log", {
    configurable: true,
    get(this: LoggedRequest): Logger | undefined {
      const base = this[BASE];
      if (base === undefined) return this[CHILD];
      this[CHILD] ??= base.child(this[FIELDS] ?? {});
      return this[CHILD];
    },
    set(this: LoggedRequest, logger: Logger) {
      this[CHILD] = logger;
    },
  });
  lazyPrototypes.add(prototype);
}

/**
 * Adds fields to every line of this request from now on, its request line included (the webhook's event
 * id, type and outcome: ADR 0290). Without a child logger yet, they wait in the request's fields.
 */
export function addRequestLogFields(req: Request, fields: Record<string, unknown>): void {
  const logged = req as LoggedRequest;
  if (logged[FIELDS] !== undefined) Object.assign(logged[FIELDS], fields);
  logged[CHILD]?.setBindings(fields);
}

/**
 * The keys a request line may carry without passing through the logger's redaction: the line's own, the
 * request id, the trace fields and the webhook's event fields — names no redaction path matches, with
 * primitive values (redaction goes by key, so it could not change them). Redacting them anyway was ~5% of
 * billing's CPU per webhook delivery (ADR 0307). A line with any other field (a handler's addition) is
 * logged through the redacting logger as before.
 */
const UNREDACTED_FIELDS = new Set([
  "requestId",
  "logging.googleapis.com/trace",
  "logging.googleapis.com/spanId",
  "logging.googleapis.com/trace_sampled",
  "eventId",
  "type",
  "outcome",
]);

export function needsRedaction(fields: Record<string, unknown>): boolean {
  for (const key in fields) {
    const value = fields[key];
    if (!UNREDACTED_FIELDS.has(key) || (typeof value === "object" && value !== null)) return true;
  }
  return false;
}

/**
 * `projectId` (GOOGLE_CLOUD_PROJECT) turns the load balancer's trace header into Cloud Logging's
 * `logging.googleapis.com/trace`, so every line of one request shows under its trace.
 */
export function requestLogging(
  logger: Logger,
  metrics: BillingMetrics,
  projectId?: string | undefined,
): RequestHandler {
  // The same destination, level, format and base fields; only the redaction is left out.
  const unredacted = logger.child({}, { redact: [] });
  return (req, res, next) => {
    const prototype = Object.getPrototypeOf(req) as object;
    if (!lazyPrototypes.has(prototype)) installLazyLog(prototype);
    const incoming = req.get("x-request-id");
    req.id = incoming && REQUEST_ID_PATTERN.test(incoming) ? incoming : randomUUID();
    const trace = parseTraceContext({
      traceparent: req.get("traceparent"),
      cloudTraceContext: req.get("x-cloud-trace-context"),
    });
    const logged = req as LoggedRequest;
    logged[BASE] = logger;
    logged[FIELDS] = { requestId: req.id, ...traceFields(trace, projectId) };
    res.setHeader("x-request-id", req.id);
    const started = process.hrtime.bigint();
    res.on("finish", () => {
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      const path = req.originalUrl.split("?")[0] ?? "";
      metrics.httpRequestDuration.observe(
        { method: req.method, route: routeTemplate(path, req.route?.path), status: String(res.statusCode) },
        seconds,
      );
      const line = {
        method: req.method,
        path,
        status: res.statusCode,
        // The client, not the load balancer: `trust proxy` 2 reads it from Google's X-Forwarded-For
        // (ADR 0146), so an investigation can follow one address across requests (issue 13 L2b).
        clientIp: req.ip,
        ms: Math.round(seconds * 1000),
      };
      // 5xx are errors someone must look at; 4xx are the caller's mistakes (warnings would drown them).
      const level = res.statusCode >= 500 ? "error" : "info";
      // The same line either way: the request's fields first, then the request's own.
      const child = logged[CHILD];
      if (child !== undefined) {
        child[level](line, "request");
        return;
      }
      const fields = logged[FIELDS] ?? {};
      (needsRedaction(fields) ? logger : unredacted)[level]({ ...fields, ...line }, "request");
    });
    next();
  };
}
