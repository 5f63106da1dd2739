/**
 * Customer-facing purchase flow: GET /v1/products, POST /v1/checkout (creates a Stripe Checkout Session)
 * and GET /v1/checkout/success (fulfils idempotently and reveals the license key exactly once).
 */
import { randomUUID } from "node:crypto";
import { Router } from "express";
import { z } from "zod";
import { buildCatalog } from "../catalog.js";
import { mirrorLicenses } from "../cluster/sync.js";
import { withTransaction } from "../db/tx.js";
import type { BillingDeps } from "../deps.js";
import { ApiError } from "../http/errors.js";
import { generateLicenseKey, hashLicenseKey } from "../licenses/keys.js";
import { organizationSlug } from "../licenses/organization.js";
import { publicLicense } from "../licenses/row.js";
import { getLicense } from "../licenses/store.js";
import { isStripeNotFound, stripeFailure } from "../stripe/errors.js";
import {
  type CheckoutPurchase,
  issueKeyOnce,
  readCheckoutPurchase,
  recordPurchaseInTx,
} from "../stripe/fulfill.js";

const checkoutRequest = z.strictObject({
  organization: organizationSlug,
  customerEmail: z.email(),
  items: z
    .array(z.strictObject({ product: z.string().min(1), quantity: z.number().int().min(1).max(1000) }))
    .min(1)
    .max(10),
});

const successQuery = z.object({
  session_id: z.string().regex(/^cs_\w+$/, "must be a Checkout Session id (cs_…)"),
});

export function checkoutRouter(deps: BillingDeps): Router {
  const router = Router();
  const catalog = buildCatalog(deps.config.priceIds);

  router.get("/products", (_req, res) => {
    res.json({ products: catalog.products });
  });

  router.post("/checkout", async (req, res) => {
    const body = checkoutRequest.parse(req.body);
    const lines = body.items.map((item) => {
      const product = catalog.byProduct(item.product);
      if (!product) {
        throw new ApiError(
          400,
          "unknown_product",
          `unknown product "${item.product}"; known products: ${catalog.products.map((p) => p.product).join(", ")}`,
        );
      }
      return { product, quantity: item.quantity };
    });
    const licenseLines = lines.filter((l) => l.product.kind === "license");
    if (licenseLines.length !== 1) {
      throw new ApiError(
        400,
        "invalid_request",
        "items: exactly one license product (starter, pro or enterprise) is required",
      );
    }
    if (new Set(lines.map((l) => l.product.product)).size !== lines.length) {
      throw new ApiError(400, "invalid_request", "items: each product may appear once (use quantity)");
    }
    for (const l of lines) {
      if (l.product.kind === "workstation" && l.quantity > 20) {
        throw new ApiError(
          400,
          "invalid_request",
          `items: at most 20 workstations of "${l.product.product}" per checkout`,
        );
      }
    }
    // A client retry with the same Idempotency-Key gets the same Stripe objects back (Stripe replays the
    // response for 24 h); a key reused with different items is refused by Stripe (409 here). Without a
    // key every request is a new checkout.
    const clientKey = req.get("idempotency-key");
    if (clientKey !== undefined && !/^[\w.:-]{8,200}$/.test(clientKey)) {
      throw new ApiError(
        400,
        "invalid_request",
        "Idempotency-Key: must be 8-200 characters of letters, digits, _ . : -",
      );
    }
    const idempotencyKey = `checkout:${clientKey ?? randomUUID()}`;
    try {
      const customer = await deps.stripe.customers.create(
        { email: body.customerEmail, metadata: { organization: body.organization } },
        { idempotencyKey: `${idempotencyKey}:customer` },
      );
      const session = await deps.stripe.checkout.sessions.create(
        {
          mode: "subscription",
          customer: customer.id,
          client_reference_id: body.organization,
          line_items: lines.map((l) => ({ price: l.product.priceId, quantity: l.quantity })),
          success_url: `${deps.config.publicBaseUrl}/v1/checkout/success?session_id={CHECKOUT_SESSION_ID}`,
          cancel_url: `${deps.config.publicBaseUrl}/v1/products`,
          metadata: { organization: body.organization },
          subscription_data: { metadata: { organization: body.organization } },
        },
        { idempotencyKey: `${idempotencyKey}:session` },
      );
      res.status(201).json({ checkoutSessionId: session.id, url: session.url });
    } catch (err) {
      throw stripeFailure(err, "creating the checkout session");
    }
  });

  router.get("/checkout/success", async (req, res) => {
    const { session_id: sessionId } = successQuery.parse(req.query);
    // No database connection is held while Stripe is called (issue 13 §4, ADR 0145): a hung Stripe and
    // many requests with made-up session ids must not pin the pool that validate and heartbeat need.
    // An already fulfilled session needs nothing from Stripe: one short query finds its license.
    const known = await deps.db.query<{ id: string }>(
      "SELECT id FROM licenses WHERE stripe_checkout_session_id = $1",
      [sessionId],
    );
    let purchase: CheckoutPurchase | undefined;
    if (!known.rows[0]) {
      let read: Awaited<ReturnType<typeof readCheckoutPurchase>>;
      try {
        read = await readCheckoutPurchase(deps.stripe, catalog, sessionId);
      } catch (err) {
        if (isStripeNotFound(err))
          throw new ApiError(404, "checkout_session_not_found", `no checkout session ${sessionId}`);
        throw stripeFailure(err, `fulfilling checkout session ${sessionId}`);
      }
      if ("outcome" in read && read.outcome === "incomplete")
        throw new ApiError(409, "checkout_incomplete", read.message);
      if ("outcome" in read) throw new ApiError(422, "unknown_product", read.message);
      purchase = read;
    }
    const outcome = await withTransaction(deps.db, async (tx) => {
      let licenseId = known.rows[0]?.id;
      if (purchase) {
        const recorded = await recordPurchaseInTx(deps, catalog, tx, purchase, "customer:checkout");
        if (!("licenseId" in recorded)) throw new Error("recording a read purchase cannot be incomplete");
        licenseId = recorded.licenseId;
      }
      const license = (await getLicense(tx, licenseId!, { forUpdate: true }))!;
      return issueKeyOnce(deps, tx, license, "customer:checkout", () => {
        const key = generateLicenseKey(license.tier);
        return { key, hash: hashLicenseKey(key) };
      });
    });
    await mirrorLicenses(deps, [outcome.license.id]);
    res.setHeader("cache-control", "no-store");
    res.json({
      license: publicLicense(outcome.license),
      licenseKey: outcome.key,
      keyRevealed: outcome.key !== null,
      message:
        outcome.key !== null
          ? "Store this license key now: it is shown only once."
          : "The license key was already shown for this purchase; ask an administrator to rotate it if it was lost.",
    });
  });

  return router;
}
