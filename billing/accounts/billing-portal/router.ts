/**
 * POST /v1/account/organizations/:organization/billing-portal (issue 16 §1): a Stripe Billing Portal session
 * for the organization's Stripe customer, where owners and admins change payment methods, read invoices,
 * change quantities and plans, and cancel. Every change made there comes back as webhooks (billing/stripe),
 * so nothing here changes a license. Answers `{url}`; the browser is sent there.
 */
import { Router } from "express";
import { z } from "zod";
import { recordAudit } from "../../audit.js";
import type { BillingDeps } from "../../deps.js";
import { ApiError } from "../../http/errors.js";
import { stripeFailure } from "../../stripe/errors.js";
import { accountOf, organizationParam, requireAccount, requireRole } from "../http/authenticate.js";

const portalRequest = z.strictObject({
  /** Which purchase's customer, when the organization bought more than once; the newest otherwise. */
  licenseId: z.uuid({ message: "must be a license id (UUID)" }).optional(),
});

export function billingPortalRouter(deps: BillingDeps): Router {
  const router = Router();
  router.post(
    "/organizations/:organization/billing-portal",
    requireAccount(deps),
    requireRole(deps, "admin"),
    async (req, res) => {
      const organization = organizationParam(req);
      const body = portalRequest.parse(req.body ?? {});
      const customers = await deps.db.query<{ id: string; stripe_customer_id: string | null }>(
        `SELECT id, stripe_customer_id FROM licenses
          WHERE organization = $1 AND provisioning_type = 'paid' AND ($2::uuid IS NULL OR id = $2::uuid)
          ORDER BY stripe_customer_id IS NULL, created_at DESC, id LIMIT 1`,
        [organization, body.licenseId ?? null],
      );
      const license = customers.rows[0];
      if (body.licenseId && !license) {
        throw new ApiError(
          404,
          "license_not_found",
          `organization "${organization}" has no purchased license ${body.licenseId}`,
        );
      }
      if (!license?.stripe_customer_id) {
        throw new ApiError(
          409,
          "no_stripe_customer",
          `organization "${organization}" has no Stripe subscription to manage (${body.licenseId ? "this license was" : "its licenses were"} not bought through checkout)`,
        );
      }
      let url: string;
      try {
        const session = await deps.stripe.billingPortal.sessions.create({
          customer: license.stripe_customer_id,
          return_url: `${deps.config.publicBaseUrl}/account/`,
        });
        url = session.url;
      } catch (err) {
        throw stripeFailure(err, "creating the billing portal session");
      }
      // Not a change of our state, but access to payment management: recorded like one.
      await recordAudit(deps.db, {
        at: deps.clock.now(),
        actor: `account:${accountOf(req).email}`,
        action: "billing_portal.opened",
        licenseId: license.id,
        before: null,
        after: null,
        details: { organization, customerId: license.stripe_customer_id },
      });
      res.setHeader("cache-control", "no-store");
      res.json({ url });
    },
  );
  return router;
}
