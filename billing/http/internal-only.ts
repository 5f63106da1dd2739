/**
 * Defence in depth for the internal routes (admin API, /metrics): besides the Ingress not forwarding them,
 * billing refuses them when the request came through Google's load balancer, which always adds
 * `X-Forwarded-For` (and `Via: 1.1 google`) — headers a client cannot make it drop. Requests from inside
 * the cluster (Service, port-forward) carry neither. Answered 404, as if the route did not exist.
 */
import type { RequestHandler } from "express";
import { notFoundHandler } from "./errors.js";

export function cameThroughLoadBalancer(headers: { via?: string; forwardedFor?: string }): boolean {
  return Boolean(headers.forwardedFor) || /\bgoogle\b/i.test(headers.via ?? "");
}

/**
 * Mounted on /v1/admin and /metrics only. Not on /healthz and /readyz: the load balancer's own health
 * checks reach the pods directly and must never be refused.
 */
export const internalOnly: RequestHandler = (req, res, next) => {
  const via = req.get("via");
  const forwardedFor = req.get("x-forwarded-for");
  const headers = {
    ...(via === undefined ? {} : { via }),
    ...(forwardedFor === undefined ? {} : { forwardedFor }),
  };
  if (!cameThroughLoadBalancer(headers)) {
    next();
    return;
  }
  req.log?.warn({ path: req.originalUrl }, "internal route requested through the load balancer: refused");
  notFoundHandler(req, res, next);
};
