/**
 * The billing Express app: Stripe checkout and webhooks, the admin API, operations endpoints.
 * Everything it talks to comes in through BillingDeps (billing/deps.ts); server.ts wires the real ones.
 */
import express from "express";
import { accountRouter } from "./accounts/auth/account-router.js";
import { billingPortalRouter } from "./accounts/billing-portal/router.js";
import { accountPagesRouter } from "./accounts/pages/router.js";
import { seatsWorkstationsRouter } from "./accounts/seats/account-router.js";
import { accountRouteDeps } from "./accounts/seats/route-deps.js";
import { unassignUserEverywhere } from "./accounts/seats/seats.js";
import type { MemberRemovedHook } from "./accounts/team/members.js";
import { adminRouter } from "./admin/router.js";
import { checkoutRouter } from "./checkout/router.js";
import type { BillingDeps } from "./deps.js";
import { errorMiddleware, notFoundHandler } from "./http/errors.js";
import { internalOnly } from "./http/internal-only.js";
import { clientIpLimits } from "./http/ip-limit.js";
import { rejectNulCharacters } from "./http/nul-characters.js";
import { securityHeaders } from "./http/security-headers.js";
import { notificationsAdminRouter } from "./notifications/router.js";
import { opsRouter } from "./ops/health.js";
import { metricsFor } from "./ops/metrics.js";
import { requestLogging } from "./ops/request-log.js";
import { registryRouter } from "./registry/router.js";
import { sessionsRouter } from "./sessions/router.js";
import { webhookRouter } from "./stripe/webhook-router.js";

export type { BillingDeps } from "./deps.js";

export function createApp(deps: BillingDeps): express.Express {
  const app = express();
  app.disable("x-powered-by");
  app.set("trust proxy", 2); // Google's load balancer: X-Forwarded-For ends "<client>, <lb>" (ADR 0146)
  // Express's automatic ETag (a SHA-1 of every body) is off (ADR 0307): no client of this API sends
  // If-None-Match, API answers are live state computed before the hash could spare anything, the account
  // pages are no-store, and the pages' static files set and check their own ETag (static-files.ts).
  app.set("etag", false);
  // Security headers on every response, errors and 404s included (issue 13, ADR 0141): helmet's, computed
  // once at startup (ADR 0307). Billing serves JSON only, so nothing may be loaded, framed or executed from
  // its responses: CSP `default-src 'none'`. HSTS: the public host is https-only at the load balancer.
  app.use(securityHeaders());
  app.use(requestLogging(deps.logger, metricsFor(deps.metrics), deps.config.gcpProject));
  // Admin API and metrics: inside the cluster only (the Ingress does not forward them; this refuses them
  // should they arrive through the load balancer anyway). billing/http/public-routes.ts lists what is public.
  app.use("/metrics", internalOnly);
  app.use("/v1/admin", internalOnly);
  // Built in the order they were always built (each may register metrics or start work), mounted below.
  const ops = opsRouter(deps);
  const ipLimits = clientIpLimits(deps);
  const accountPages = accountPagesRouter(deps);
  const webhooks = webhookRouter(deps);
  const checkout = checkoutRouter(deps);
  const notificationsAdmin = notificationsAdminRouter(deps);
  const admin = adminRouter(deps);
  // Removing a member takes their seats and workstations in the same transaction; the cluster follows after.
  const accountDeps = accountRouteDeps(deps);
  const unassignRemovedMember: MemberRemovedHook = async (tx, organization, userId, actor, now) => {
    const followUp = await unassignUserEverywhere(tx, organization, userId, actor, now);
    return () => accountDeps.followUp(followUp, now);
  };
  const account = accountRouter(deps, { onMemberRemoved: [unassignRemovedMember] }); // customers: sign-in, team, overview (issue 16, billing/accounts)
  const billingPortal = billingPortalRouter(deps); // issue 16: Stripe Billing Portal (billing/accounts/billing-portal)
  const seatsWorkstations = seatsWorkstationsRouter(deps, {}, accountDeps); // issue 16: seats, workstations, container sessions
  // ---- sessions API (billing/sessions/**, owned by the sessions work), mounted below: ----
  const sessions = sessionsRouter(deps); // serves /v1/sessions/* and /.well-known/jwks.json
  // ---- end of sessions API ----
  const registry = registryRouter(deps); // POST/GET /v1/registry/token (issue 15, billing/registry/**)

  // The mounts are ordered so the hot routes (the webhook, the sessions API) walk the fewest layers
  // (ADR 0307). What a route's requests pass through is unchanged: the paths after the IP limit are
  // disjoint (/v1/webhooks/*; /healthz, /readyz, /metrics; /account/*; /v1/sessions/* and
  // /.well-known/jwks.json; /v1/products, /v1/checkout*, /v1/admin/*, /v1/account/*, /v1/registry/*), so
  // no request changes hands, and ops routes meet no limit either way (it applies to four exact paths).
  app.use(ipLimits); // issue 13 §4: before any parsing or signature check
  // The webhook route reads the raw body itself (signature verification); mount it before express.json.
  app.use("/v1/webhooks", webhooks);
  app.use(ops);
  app.use("/account", accountPages); // HTML pages with their own CSP (issue 17, ADR 0280)
  app.use(express.json({ limit: "100kb" }));
  app.use(rejectNulCharacters);
  app.use(sessions);
  app.use("/v1", checkout);
  // The outbox's admin routes (billing/notifications, issue 16 §3) authenticate themselves, before
  // adminRouter's catch-all authentication, so a request is authenticated once.
  app.use("/v1/admin", notificationsAdmin);
  app.use("/v1/admin", admin);
  app.use("/v1/account", account);
  app.use("/v1/account", billingPortal);
  app.use("/v1/account", seatsWorkstations);
  app.use(registry);

  app.use(notFoundHandler);
  app.use(errorMiddleware);
  return app;
}
