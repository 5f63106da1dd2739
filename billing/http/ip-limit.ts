/**
 * Per-client-IP rate limits on the unauthenticated routes (issue 13 §4, ADR 0146), in addition to the
 * per-key limits of the sessions API: they hold before anything is parsed, looked up or verified — the
 * webhook's before its signature check, validate's before its body is validated — so a flood from one
 * address costs a Map lookup each. The client IP is `req.ip`, which the app's `trust proxy` setting derives
 * from Google's load balancer's X-Forwarded-For (ADR 0146). Limits are per billing replica.
 */
import type { RequestHandler } from "express";
import type { BillingDeps } from "../deps.js";
import { FixedWindowLimiter, type RateLimitRule, reportLimiterKeys } from "../sessions/rate-limit.js";
import { ApiError } from "./errors.js";

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

/** Which limited route a request is for, if any (exact paths, as the Ingress forwards them). */
export function limitedRoute(method: string, path: string): LimitedRoute | undefined {
  if (method === "POST" && path === "/v1/checkout") return "checkout";
  if ((method === "GET" || method === "POST") && path === "/v1/checkout/success") return "success";
  if (method === "POST" && path === "/v1/sessions/validate") return "validate";
  if (method === "POST" && path === "/v1/webhooks/stripe") return "webhook";
  return undefined;
}

/** One middleware for all four routes; mount it before the body parsers and routers. */
export function clientIpLimits(deps: Pick<BillingDeps, "clock" | "metrics">): RequestHandler {
  const limiters = Object.fromEntries(
    Object.entries(CLIENT_IP_RATE_LIMITS).map(([route, rule]) => {
      const limiter = new FixedWindowLimiter(rule, deps.clock);
      reportLimiterKeys(deps.metrics, `client_ip_${route}`, limiter);
      return [route, limiter];
    }),
  ) as Record<LimitedRoute, FixedWindowLimiter>;
  return (req, _res, next) => {
    const route = limitedRoute(req.method, req.path);
    if (!route) {
      next();
      return;
    }
    const decision = limiters[route].take(req.ip ?? req.socket.remoteAddress ?? "unknown");
    if (decision.allowed) {
      next();
      return;
    }
    next(
      new ApiError(
        429,
        "rate_limited",
        `too many requests from this address; retry after ${decision.retryAfterSeconds} s`,
        decision.retryAfterSeconds,
      ),
    );
  };
}
