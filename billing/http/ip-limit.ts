/**
 * Per-client-IP rate limits on the unauthenticated routes (issue 13 §4, ADR 0146), in addition to the
 * per-key limits of the sessions API: they hold before anything is parsed, looked up or verified — the
 * webhook's before its signature check, validate's before its body is validated — so a flood from one
 * address costs a Map lookup each once this replica has seen it over the limit. The client IP is `req.ip`,
 * which the app's `trust proxy` setting derives from Google's load balancer's X-Forwarded-For (ADR 0146).
 * With RATE_LIMIT_STORE=postgres the counts are shared by all replicas (ADR 0160): at most one UPSERT per
 * request (concurrent requests' charges share one, shared-charge-batch.ts, ADR 0290),
 * and for validate none here — its IP charge goes in the same round trip as its per-key charge (the
 * sessions router sends both), so validate pays one extra round trip, not two. The webhook's limit is
 * counted by each replica alone (ADR 0305): what it protects before the signature check is the replica's
 * own CPU (nothing shared happens for an unverified delivery), so a shared count bought nothing for the
 * database write it cost every delivery.
 */
import type { RequestHandler } from "express";
import type { BillingDeps } from "../deps.js";
import {
  deferSharedCharge,
  NamedLimit,
  namedLimit,
  type RateLimitRule,
  reportLimiterKeys,
  takeLocal,
} from "../sessions/rate-limit.js";
import type { SharedWindowStore } from "../sessions/rate-limit-postgres.js";
import { ApiError } from "./errors.js";
import { SharedChargeBatcher } from "./shared-charge-batch.js";

/**
 * Generous for people and for many containers behind one company NAT; tight enough that one address
 * cannot create Stripe customers or hold Stripe calls in flight at will. Stripe's webhook senders are a
 * few addresses with bursts; a 429 there makes Stripe retry later.
 */
export const CLIENT_IP_RATE_LIMITS = {
  checkout: { limit: 20, windowMs: 60_000 },
  success: { limit: 30, windowMs: 60_000 },
  validate: { limit: 300, windowMs: 60_000 },
  webhook: { limit: 600, windowMs: 60_000 },
} as const satisfies Record<string, RateLimitRule>;

type LimitedRoute = keyof typeof CLIENT_IP_RATE_LIMITS;

/**
 * Whether a route's per-IP count is shared by the replicas (RATE_LIMIT_STORE=postgres) or kept by each
 * replica alone. Checkout and success reach Stripe and the database, validate the seats: one address must
 * not get N× those from N replicas (ADR 0160). A webhook delivery reaches nothing shared before its
 * signature is verified — an HMAC and a JSON parse on the replica that received it — and a verified one was
 * sent by Stripe, so the per-replica window bounds what a forger can cost each replica (ADR 0305).
 */
export const CLIENT_IP_LIMIT_SHARED: Readonly<Record<LimitedRoute, boolean>> = {
  checkout: true,
  success: true,
  validate: true,
  webhook: false,
};

/** Which limited route a request is for, if any (exact paths, as the Ingress forwards them). */
export function limitedRoute(method: string, path: string): LimitedRoute | undefined {
  if (method === "POST" && path === "/v1/checkout") return "checkout";
  if ((method === "GET" || method === "POST") && path === "/v1/checkout/success") return "success";
  if (method === "POST" && path === "/v1/sessions/validate") return "validate";
  if (method === "POST" && path === "/v1/webhooks/stripe") return "webhook";
  return undefined;
}

/** One middleware for all four routes; mount it before the body parsers and routers. */
export function clientIpLimits(
  deps: Pick<BillingDeps, "config" | "db" | "clock" | "metrics">,
): RequestHandler {
  const limits = Object.fromEntries(
    Object.entries(CLIENT_IP_RATE_LIMITS).map(([route, rule]) => {
      const name = `client_ip_${route}`;
      if (CLIENT_IP_LIMIT_SHARED[route as LimitedRoute]) return [route, namedLimit(deps, name, rule)];
      const local = new NamedLimit(name, rule, deps.clock, undefined);
      reportLimiterKeys(deps.metrics, name, local.local);
      return [route, local];
    }),
  ) as Record<LimitedRoute, NamedLimit>;
  return (req, res, next) => {
    const route = limitedRoute(req.method, req.path);
    if (!route) {
      next();
      return;
    }
    const charge = { limit: limits[route], key: req.ip ?? req.socket.remoteAddress ?? "unknown" };
    const local = takeLocal([charge]);
    if (!local.allowed) {
      next(tooMany(local.retryAfterSeconds));
      return;
    }
    if (route === "validate") {
      deferSharedCharge(res.locals, charge);
      next();
      return;
    }
    if (!charge.limit.shared) {
      next(); // counted by this replica alone (memory mode, or the webhook: ADR 0305)
      return;
    }
    // Concurrent requests' charges share one UPSERT (shared-charge-batch.ts, ADR 0290).
    batcherFor(charge.limit.shared)
      .take(charge)
      .then(
        (decision) => next(decision.allowed ? undefined : tooMany(decision.retryAfterSeconds)),
        (error: unknown) => next(error),
      );
  };
}

const batchers = new WeakMap<SharedWindowStore, SharedChargeBatcher>();

function batcherFor(store: SharedWindowStore): SharedChargeBatcher {
  let batcher = batchers.get(store);
  if (!batcher) {
    batcher = new SharedChargeBatcher(store);
    batchers.set(store, batcher);
  }
  return batcher;
}

function tooMany(retryAfterSeconds: number): ApiError {
  return new ApiError(
    429,
    "rate_limited",
    `too many requests from this address; retry after ${retryAfterSeconds} s`,
    retryAfterSeconds,
  );
}
