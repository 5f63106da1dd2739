/**
 * The one error shape of the billing HTTP API: every 4xx/5xx body is `{error: {code, message}}`.
 * Routers throw ApiError (or let zod throw); errorMiddleware turns anything thrown into that shape.
 */
import type { ErrorRequestHandler, RequestHandler } from "express";
import { ZodError } from "zod";

/** An error with an HTTP status and a stable machine-readable code (snake_case). */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = "ApiError";
  }
}

export interface ErrorBody {
  error: { code: string; message: string };
}

/** Describes a zod failure naming the offending field(s), e.g. `items.0.quantity: Too small: expected …`. */
export function describeZodError(error: ZodError): string {
  return error.issues
    .map((issue) => {
      const path = issue.path.map(String).join(".");
      return path ? `${path}: ${issue.message}` : issue.message;
    })
    .join("; ");
}

/** Maps anything thrown to `{status, body}`; unknown errors become an opaque 500 (details go to the log). */
export function toErrorResponse(err: unknown): { status: number; body: ErrorBody } {
  if (err instanceof ApiError) {
    return { status: err.status, body: { error: { code: err.code, message: err.message } } };
  }
  if (err instanceof ZodError) {
    return { status: 400, body: { error: { code: "invalid_request", message: describeZodError(err) } } };
  }
  // body-parser errors (malformed JSON, too large, wrong charset) carry a status and a type.
  const e = err as { status?: unknown; type?: unknown; message?: unknown };
  if (typeof e?.status === "number" && e.status >= 400 && e.status < 500) {
    const code = e.type === "entity.parse.failed" ? "malformed_json" : "invalid_request";
    const message =
      e.type === "entity.parse.failed"
        ? "request body is not valid JSON"
        : String(e.message ?? "the request could not be read");
    return { status: e.status, body: { error: { code, message } } };
  }
  return {
    status: 500,
    body: {
      error: { code: "internal_error", message: "internal error; see the server log for the request id" },
    },
  };
}

/** Express error middleware producing the shared error shape. Logs 5xx with the request's logger. */
export const errorMiddleware: ErrorRequestHandler = (err, req, res, _next) => {
  const { status, body } = toErrorResponse(err);
  if (status >= 500) req.log?.error({ err }, "request failed");
  else req.log?.info({ code: body.error.code, status }, "request rejected");
  if (res.headersSent) return;
  res.status(status).json(body);
};

/** Fallback for unknown routes. */
export const notFoundHandler: RequestHandler = (req, _res, next) => {
  next(new ApiError(404, "not_found", `no route for ${req.method} ${req.path}`));
};
