/** Mapping Stripe SDK failures to the API's error shape. */
import Stripe from "stripe";
import { ApiError, STRIPE_RETRY_AFTER_SECONDS } from "../http/errors.js";

export function isStripeNotFound(err: unknown): boolean {
  return err instanceof Stripe.errors.StripeError && err.statusCode === 404;
}

/** Turns a Stripe failure into an ApiError the client can act on; other errors pass through. */
export function stripeFailure(err: unknown, what: string): unknown {
  if (!(err instanceof Stripe.errors.StripeError)) return err;
  if (err instanceof Stripe.errors.StripeIdempotencyError) {
    return new ApiError(
      409,
      "idempotency_key_reused",
      `${what}: the Idempotency-Key was already used with different parameters`,
    );
  }
  if (err instanceof Stripe.errors.StripeConnectionError || (err.statusCode ?? 500) >= 500) {
    return new ApiError(
      503,
      "payment_provider_unavailable",
      `${what}: Stripe is unreachable or did not answer in time; retry after ${STRIPE_RETRY_AFTER_SECONDS} s`,
      STRIPE_RETRY_AFTER_SECONDS,
    );
  }
  return new ApiError(
    502,
    "payment_provider_rejected",
    `${what}: Stripe rejected the request (${err.message})`,
  );
}
