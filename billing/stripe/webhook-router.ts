/**
 * POST /v1/webhooks/stripe: verifies the Stripe-Signature over the raw body (300 s tolerance, past and
 * future), validates the event envelope, then hands the event to processStripeEvent. Bad signatures, stale
 * or future timestamps and malformed bodies are 400s that change nothing.
 */
import express, { Router } from "express";
import Stripe from "stripe";
import { buildCatalog } from "../catalog.js";
import type { BillingDeps } from "../deps.js";
import { ApiError } from "../http/errors.js";
import { metricsFor } from "../ops/metrics.js";
import { addRequestLogFields } from "../ops/request-log.js";
import { envelopeProblem, futureSkewSeconds } from "./envelope.js";
import { processStripeEvent } from "./process-event.js";

export const WEBHOOK_TOLERANCE_SECONDS = 300;

function verify(deps: BillingDeps, body: Buffer, signature: string): Stripe.Event {
  let event: Stripe.Event;
  try {
    event = deps.stripe.webhooks.constructEvent(
      body,
      signature,
      deps.config.stripeWebhookSecret,
      WEBHOOK_TOLERANCE_SECONDS,
      undefined,
      // receivedAt is in milliseconds (the SDK divides by 1000).
      deps.clock.now().getTime(),
    );
  } catch (err) {
    if (err instanceof Stripe.errors.StripeSignatureVerificationError) {
      if (/tolerance/i.test(err.message)) {
        throw new ApiError(
          400,
          "stale_signature",
          `webhook timestamp is older than ${WEBHOOK_TOLERANCE_SECONDS} s (replayed or delayed delivery)`,
        );
      }
      throw new ApiError(
        400,
        "invalid_signature",
        "Stripe-Signature does not match the payload and the webhook secret",
      );
    }
    if (err instanceof SyntaxError)
      throw new ApiError(400, "malformed_json", "webhook body is not valid JSON");
    throw err;
  }
  // The SDK bounds only the age of the timestamp; a signature dated ahead would stay valid for ever.
  const skew = futureSkewSeconds(signature, deps.clock.now().getTime(), WEBHOOK_TOLERANCE_SECONDS);
  if (skew !== undefined) {
    throw new ApiError(
      400,
      "stale_signature",
      `webhook timestamp is ${skew} s in the future (more than ${WEBHOOK_TOLERANCE_SECONDS} s; a clock or replay problem)`,
    );
  }
  return event;
}

export function webhookRouter(deps: BillingDeps): Router {
  const router = Router();
  const catalog = buildCatalog(deps.config.priceIds);
  const metrics = metricsFor(deps.metrics);
  router.post("/stripe", express.raw({ type: () => true, limit: "1mb" }), async (req, res) => {
    const signature = req.get("stripe-signature");
    if (!signature) {
      metrics.webhookEvents.inc({ type: "unknown", outcome: "rejected" });
      throw new ApiError(400, "missing_signature", "the Stripe-Signature header is required");
    }
    if (!Buffer.isBuffer(req.body) || req.body.length === 0) {
      metrics.webhookEvents.inc({ type: "unknown", outcome: "rejected" });
      throw new ApiError(400, "invalid_request", "webhook body is empty");
    }
    let event: Stripe.Event;
    try {
      event = verify(deps, req.body, signature);
    } catch (err) {
      metrics.webhookEvents.inc({ type: "unknown", outcome: "rejected" });
      throw err;
    }
    const problem = envelopeProblem(event);
    if (problem !== undefined) {
      // Authentic but unusable: Stripe would retry a 5xx for days; a 400 shows in its dashboard instead.
      metrics.webhookEvents.inc({ type: "unknown", outcome: "rejected" });
      req.log.warn({ problem }, "signed webhook with a malformed event envelope");
      throw new ApiError(400, "invalid_event", `webhook body is not a usable Stripe event: ${problem}`);
    }
    // The event's fields go on the request's own line (request-log.ts logs it when the response
    // finishes), and on any line logged after: one log write per delivery, not two (ADR 0290). They are
    // added to the request's log fields, so no child logger is made unless a line other than the request
    // line is logged (ADR 0307).
    addRequestLogFields(req, { eventId: event.id, type: event.type });
    try {
      const result = await processStripeEvent(deps, catalog, event);
      metrics.webhookEvents.inc({ type: event.type, outcome: result.outcome });
      addRequestLogFields(req, { outcome: result.outcome });
      if (result.outcome === "organization_taken") {
        // A paid checkout that could not be fulfilled (ADR 0240): someone must refund or move it.
        req.log.warn(
          { message: result.message },
          "paid checkout not fulfilled: its organization was created by another customer; refund it",
        );
      }
      res.json({
        received: true,
        eventId: event.id,
        outcome: result.outcome,
        duplicate: result.duplicate,
        ...(result.message ? { message: result.message } : {}),
      });
    } catch (err) {
      metrics.webhookEvents.inc({ type: event.type, outcome: "failed" });
      throw err;
    }
  });
  return router;
}
