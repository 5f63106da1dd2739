/**
 * The Stripe SDK client, pointed at STRIPE_API_URL when set (the local fake in tests and the sandbox).
 * Every call has an explicit timeout and a bounded number of retries (ADR 0122): the SDK's defaults (80 s,
 * and retries off or set per call) let a hung Stripe hold checkout for minutes. Retried POSTs carry an
 * idempotency key (ours, or one the SDK adds), so a retry never creates a second object.
 */
import Stripe from "stripe";
import type { BillingConfig } from "../config.js";

export function createStripeClient(
  config: Pick<
    BillingConfig,
    "stripeSecretKey" | "stripeApiUrl" | "stripeTimeoutMs" | "stripeMaxNetworkRetries"
  >,
): Stripe {
  const bounded = { timeout: config.stripeTimeoutMs, maxNetworkRetries: config.stripeMaxNetworkRetries };
  if (!config.stripeApiUrl) return new Stripe(config.stripeSecretKey, bounded);
  const url = new URL(config.stripeApiUrl);
  const protocol = url.protocol === "http:" ? "http" : "https";
  return new Stripe(config.stripeSecretKey, {
    host: url.hostname,
    port: url.port ? Number(url.port) : protocol === "http" ? 80 : 443,
    protocol,
    telemetry: false,
    ...bounded,
  });
}
