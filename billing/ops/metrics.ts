/** Prometheus metrics of the billing service, registered once per registry. */
import { Counter, Histogram, type Registry } from "prom-client";

export interface BillingMetrics {
  httpRequestDuration: Histogram<"method" | "route" | "status">;
  webhookEvents: Counter<"type" | "outcome">;
  licenseChanges: Counter<"action">;
  clusterSyncFailures: Counter<"operation">;
  seatRefusals: Counter<"reason">;
}

/** Why validate refused a container a seat (the `reason` label), zero-initialised so alerts see 0, not no data. */
export const SEAT_REFUSAL_REASONS = [
  "seat_limit_reached",
  "license_suspended",
  "license_expired",
  "license_revoked",
  "license_invalid",
] as const;

const cache = new WeakMap<Registry, BillingMetrics>();

export function metricsFor(registry: Registry): BillingMetrics {
  const existing = cache.get(registry);
  if (existing) return existing;
  const registers = [registry];
  const metrics: BillingMetrics = {
    httpRequestDuration: new Histogram({
      name: "billing_http_request_duration_seconds",
      help: "HTTP request latency by route template and status",
      labelNames: ["method", "route", "status"],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
      registers,
    }),
    webhookEvents: new Counter({
      name: "billing_stripe_webhook_events_total",
      help: "Stripe webhook deliveries by event type and outcome (processed, duplicate, ignored, rejected, failed)",
      labelNames: ["type", "outcome"],
      registers,
    }),
    licenseChanges: new Counter({
      name: "billing_license_changes_total",
      help: "Audited license changes by action",
      labelNames: ["action"],
      registers,
    }),
    clusterSyncFailures: new Counter({
      name: "billing_cluster_sync_failures_total",
      help: "Failed attempts to mirror licenses into the cluster (retried by the periodic resync)",
      labelNames: ["operation"],
      registers,
    }),
    seatRefusals: new Counter({
      name: "billing_seat_refusals_total",
      help: "Validate requests refused a seat, by reason (the error code answered)",
      labelNames: ["reason"],
      registers,
    }),
  };
  for (const reason of SEAT_REFUSAL_REASONS) metrics.seatRefusals.inc({ reason }, 0);
  cache.set(registry, metrics);
  return metrics;
}
