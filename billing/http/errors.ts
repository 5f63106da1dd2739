/**
 * The one error shape of the billing HTTP API: every 4xx/5xx body is `{error: {code, message}}`.
 * Routers throw ApiError (or let zod throw); errorMiddleware turns anything thrown into that shape.
 */
import type { ErrorRequestHandler, RequestHandler } from "express";
import Stripe from "stripe";
import { ZodError } from "zod";
import { classifyDatabaseFailure } from "../db/failures.js";

/** An error with an HTTP status and a stable machine-readable code (snake_case). */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    /** Sent as Retry-After: set on every 503 so clients (and Stripe) know the failure is temporary. */
    readonly retryAfterSeconds?: number,
  ) {
    super(message);
    this.name = "ApiError";
  }
}

/** Retry-After of a database outage: a restart or failover takes seconds (ADR 0120). */
export const DATABASE_RETRY_AFTER_SECONDS = 2;
/** Retry-After when Stripe is slow or down (ADR 0122). */
export const STRIPE_RETRY_AFTER_SECONDS = 5;

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

export interface ErrorResponse {
  status: number;
  body: ErrorBody;
  retryAfterSeconds?: number;
}

function fromApiError(err: ApiError): ErrorResponse {
  return {
    status: err.status,
    body: { error: { code: err.code, message: err.message } },
    ...(err.retryAfterSeconds === undefined ? {} : { retryAfterSeconds: err.retryAfterSeconds }),
  };
}

/**
 * The one mapping of database failures (ADR 0120): a value PostgreSQL cannot store is the client's 400;
 * anything else (unreachable, restarting, a lock or serialization conflict, an unexpected SQLSTATE) is a
 * 503 with Retry-After, never a 500 — the request changed nothing (its transaction rolled back).
 */
export function databaseFailureResponse(err: unknown): ApiError | undefined {
  const failure = classifyDatabaseFailure(err);
  if (!failure) return undefined;
  if (failure.kind === "rejected_value") {
    return new ApiError(
      400,
      "invalid_request",
      "a value in the request cannot be stored (out of range or malformed); check dates and numbers",
    );
  }
  return new ApiError(
    503,
    failure.kind === "unavailable" ? "database_unavailable" : "database_error",
    `the database ${failure.kind === "unavailable" ? "is unavailable" : "could not complete the request"}; nothing was changed, retry after ${DATABASE_RETRY_AFTER_SECONDS} s`,
    DATABASE_RETRY_AFTER_SECONDS,
  );
}

/** Stripe failures that reach the middleware unmapped (webhook handlers): unreachable/5xx → 503. */
function stripeUnavailable(err: unknown): ApiError | undefined {
  if (!(err instanceof Stripe.errors.StripeError)) return undefined;
  if (err instanceof Stripe.errors.StripeConnectionError || (err.statusCode ?? 500) >= 500) {
    return new ApiError(
      503,
      "payment_provider_unavailable",
      `Stripe is unreachable or failing; nothing was changed, retry after ${STRIPE_RETRY_AFTER_SECONDS} s`,
      STRIPE_RETRY_AFTER_SECONDS,
    );
  }
  return undefined;
}

/** Maps anything thrown to `{status, body}`; unknown errors become an opaque 500 (details go to the log). */
export function toErrorResponse(err: unknown): ErrorResponse {
  if (err instanceof ApiError) return fromApiError(err);
  const mapped = stripeUnavailable(err) ?? databaseFailureResponse(err);
  if (mapped) return fromApiError(mapped);
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
  const { status, body, retryAfterSeconds } = toErrorResponse(err);
  if (status >= 500) req.log?.error({ err, code: body.error.code, status }, "request failed");
  else req.log?.info({ code: body.error.code, status }, "request rejected");
  if (res.headersSent) return;
  if (retryAfterSeconds !== undefined) res.setHeader("Retry-After", String(retryAfterSeconds));
  res.status(status).json(body);
};

/** Fallback for unknown routes. */
export const notFoundHandler: RequestHandler = (req, _res, next) => {
  next(new ApiError(404, "not_found", `no route for ${req.method} ${req.path}`));
};
