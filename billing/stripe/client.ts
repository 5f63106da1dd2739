/** The Stripe SDK client, pointed at STRIPE_API_URL when set (the local fake in tests and the sandbox). */
import Stripe from "stripe";
import type { BillingConfig } from "../config.js";

export function createStripeClient(config: Pick<BillingConfig, "stripeSecretKey" | "stripeApiUrl">): Stripe {
  if (!config.stripeApiUrl) return new Stripe(config.stripeSecretKey, { maxNetworkRetries: 2 });
  const url = new URL(config.stripeApiUrl);
  const protocol = url.protocol === "http:" ? "http" : "https";
  return new Stripe(config.stripeSecretKey, {
    host: url.hostname,
    port: url.port ? Number(url.port) : protocol === "http" ? 80 : 443,
    protocol,
    maxNetworkRetries: 0,
    telemetry: false,
  });
}
