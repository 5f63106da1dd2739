/**
 * Customer-facing purchase flow: GET /v1/products, POST /v1/checkout (creates a Stripe Checkout Session and
 * gives the browser its reveal nonce), GET /v1/checkout/success (fulfils idempotently, shows the purchase and
 * the reveal button; no key) and POST /v1/checkout/success (reveals the license key once, issue 13 §9).
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
import { type LicenseRow, publicLicense } from "../licenses/row.js";
import { getLicense } from "../licenses/store.js";
import { isStripeNotFound, stripeFailure } from "../stripe/errors.js";
import {
  type CheckoutPurchase,
  issueKeyOnce,
  readCheckoutPurchase,
  recordPurchaseInTx,
} from "../stripe/fulfill.js";
import {
  cookieValue,
  decideReveal,
  LOST_KEY_ADVICE,
  newRevealNonce,
  revealCookieName,
  revealDeadline,
  revealSetCookie,
  SUCCESS_PATH,
} from "./reveal.js";
import { revealedKeyHtml, revealRefusedHtml, successPageHtml } from "./success-page.js";

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

  /**
   * An unauthenticated checkout may only start a NEW organization (ADR 0240): the buyer becomes its owner at
   * fulfilment. Buying into an existing one would put licenses and workstations into another customer's
   * namespace; its owners and admins manage the subscription from their account instead.
   */
  async function refuseExistingOrganization(slug: string): Promise<void> {
    const existing = await deps.db.query(
      `SELECT 1 FROM organizations WHERE slug = $1
       UNION ALL SELECT 1 FROM licenses WHERE organization = $1 LIMIT 1`,
      [slug],
    );
    if (existing.rowCount) {
      throw new ApiError(
        409,
        "organization_exists",
        `organization "${slug}" already exists: sign in at ${deps.config.publicBaseUrl}/account/ and manage its subscription from the account, or choose another organization name`,
      );
    }
  }

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
    await refuseExistingOrganization(body.organization);
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
      // The browser that started the checkout gets the reveal nonce (only its hash is stored). A retry with
      // the same Idempotency-Key gets the same session and a fresh nonce: the newest cookie is the valid one.
      const { nonce, hash } = newRevealNonce();
      await deps.db.query(
        `INSERT INTO checkout_reveal_nonces (checkout_session_id, nonce_hash, created_at) VALUES ($1, $2, $3)
         ON CONFLICT (checkout_session_id) DO UPDATE SET nonce_hash = EXCLUDED.nonce_hash, created_at = EXCLUDED.created_at`,
        [session.id, hash, deps.clock.now()],
      );
      res.setHeader("set-cookie", revealSetCookie(deps.config.publicBaseUrl, session.id, nonce));
      res.status(201).json({ checkoutSessionId: session.id, url: session.url });
    } catch (err) {
      throw stripeFailure(err, "creating the checkout session");
    }
  });

  /**
   * The license the checkout session bought, fulfilled idempotently (shared with the webhook) when the
   * webhook has not yet. No database connection is held while Stripe is called (issue 13 §4, ADR 0145): a
   * hung Stripe and many requests with made-up session ids must not pin the pool that validate and heartbeat
   * need. An already fulfilled session needs nothing from Stripe: one short query finds its license.
   */
  async function purchasedLicense(sessionId: string): Promise<LicenseRow> {
    const known = await deps.db.query<LicenseRow>(
      "SELECT * FROM licenses WHERE stripe_checkout_session_id = $1",
      [sessionId],
    );
    if (known.rows[0]) return known.rows[0];
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
    const purchase: CheckoutPurchase = read;
    const license = await withTransaction(deps.db, async (tx) => {
      const recorded = await recordPurchaseInTx(deps, catalog, tx, purchase, "customer:checkout");
      if (recorded.outcome === "organization_taken") {
        throw new ApiError(409, "organization_exists", recorded.message);
      }
      if (!("licenseId" in recorded)) throw new ApiError(409, "checkout_incomplete", recorded.message);
      return (await getLicense(tx, recorded.licenseId))!;
    });
    await mirrorLicenses(deps, [license.id]);
    return license;
  }

  const revealUrl = (sessionId: string) =>
    `${deps.config.publicBaseUrl}${SUCCESS_PATH}?session_id=${encodeURIComponent(sessionId)}`;

  // GET: the page after payment. No key and nothing consumed (link scanners and prefetch follow GETs): it
  // shows the purchase and, while the key can still be revealed, the button that POSTs to this URL.
  router.get("/checkout/success", async (req, res) => {
    const { session_id: sessionId } = successQuery.parse(req.query);
    const license = await purchasedLicense(sessionId);
    const until = revealDeadline(license.created_at);
    const revealable = license.key_hash === null && deps.clock.now() < until;
    const message =
      license.key_hash !== null
        ? `The license key was already shown for this purchase; ${LOST_KEY_ADVICE}.`
        : revealable
          ? `Reveal the license key in this browser (the one that started the checkout) once, until ${until.toISOString()}.`
          : `The license key could be shown until ${until.toISOString()}; ${LOST_KEY_ADVICE}.`;
    const view = {
      license: publicLicense(license),
      keyRevealed: license.key_hash !== null,
      reveal: {
        method: "POST",
        url: revealUrl(sessionId),
        available: revealable,
        until: until.toISOString(),
      },
      message,
    };
    res.setHeader("cache-control", "no-store");
    if (req.accepts(["json", "html"]) === "html") {
      res
        .type("html")
        .send(successPageHtml({ license: view.license, revealUrl: view.reveal.url, revealable, message }));
      return;
    }
    res.json(view);
  });

  // POST: the reveal, from the success page's button. Bound to the browser that started the checkout (its
  // nonce cookie), Origin checked, once, until 24 h after the purchase (docs/adr/0171).
  router.post("/checkout/success", async (req, res) => {
    const html = req.accepts(["json", "html"]) === "html";
    res.setHeader("cache-control", "no-store");
    try {
      const { session_id: sessionId } = successQuery.parse(req.query);
      const license = await purchasedLicense(sessionId);
      const outcome = await withTransaction(deps.db, async (tx) => {
        const locked = (await getLicense(tx, license.id, { forUpdate: true }))!;
        const stored = await tx.query<{ nonce_hash: string }>(
          "SELECT nonce_hash FROM checkout_reveal_nonces WHERE checkout_session_id = $1",
          [sessionId],
        );
        const decision = decideReveal({
          origin: req.get("origin"),
          expectedOrigin: new URL(deps.config.publicBaseUrl).origin,
          presentedNonce: cookieValue(req.get("cookie"), revealCookieName(sessionId)),
          storedNonceHash: stored.rows[0]?.nonce_hash,
          keyIssued: locked.key_hash !== null,
          purchasedAt: locked.created_at,
          now: deps.clock.now(),
        });
        if (!decision.reveal) throw new ApiError(decision.status, decision.code, decision.message);
        return issueKeyOnce(deps, tx, locked, "customer:checkout", () => {
          const key = generateLicenseKey(locked.tier);
          return { key, hash: hashLicenseKey(key) };
        });
      });
      await mirrorLicenses(deps, [outcome.license.id]);
      const message = "Store this license key now: it is shown only once.";
      if (html) {
        res.type("html").send(revealedKeyHtml(publicLicense(outcome.license), outcome.key!, message));
        return;
      }
      res.json({ license: publicLicense(outcome.license), licenseKey: outcome.key, message });
    } catch (err) {
      if (!(html && err instanceof ApiError)) throw err;
      res.status(err.status).type("html").send(revealRefusedHtml(err.message));
    }
  });

  return router;
}
