/**
 * The billing Express app: Stripe checkout and webhooks, the admin API, operations endpoints.
 * Everything it talks to comes in through BillingDeps (billing/deps.ts); server.ts wires the real ones.
 */
import express from "express";
import helmet from "helmet";
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
  // Security headers on every response, errors and 404s included (issue 13, ADR 0141). Billing serves JSON
  // only, so nothing may be loaded, framed or executed from its responses: CSP `default-src 'none'`.
  // HSTS: the public host is https-only at the load balancer.
  app.use(
    helmet({
      contentSecurityPolicy: {
        useDefaults: false,
        directives: { defaultSrc: ["'none'"], frameAncestors: ["'none'"] },
      },
      strictTransportSecurity: { maxAge: 31_536_000, includeSubDomains: true },
    }),
  );
  app.use(requestLogging(deps.logger, metricsFor(deps.metrics), deps.config.gcpProject));
  // Admin API and metrics: inside the cluster only (the Ingress does not forward them; this refuses them
  // should they arrive through the load balancer anyway). billing/http/public-routes.ts lists what is public.
  app.use("/metrics", internalOnly);
  app.use("/v1/admin", internalOnly);
  app.use(opsRouter(deps));
  app.use(clientIpLimits(deps)); // issue 13 §4: before any parsing or signature check
  app.use("/account", accountPagesRouter(deps)); // HTML pages with their own CSP (issue 17, ADR 0280)
  // The webhook route reads the raw body itself (signature verification); mount it before express.json.
  app.use("/v1/webhooks", webhookRouter(deps));
  app.use(express.json({ limit: "100kb" }));
  app.use(rejectNulCharacters);
  app.use("/v1", checkoutRouter(deps));
  // The outbox's admin routes (billing/notifications, issue 16 §3) authenticate themselves, before
  // adminRouter's catch-all authentication, so a request is authenticated once.
  app.use("/v1/admin", notificationsAdminRouter(deps));
  app.use("/v1/admin", adminRouter(deps));

  // Removing a member takes their seats and workstations in the same transaction; the cluster follows after.
  const accountDeps = accountRouteDeps(deps);
  const unassignRemovedMember: MemberRemovedHook = async (tx, organization, userId, actor, now) => {
    const followUp = await unassignUserEverywhere(tx, organization, userId, actor, now);
    return () => accountDeps.followUp(followUp, now);
  };
  app.use("/v1/account", accountRouter(deps, { onMemberRemoved: [unassignRemovedMember] })); // customers: sign-in, team, overview (issue 16, billing/accounts)
  app.use("/v1/account", billingPortalRouter(deps)); // issue 16: Stripe Billing Portal (billing/accounts/billing-portal)
  app.use("/v1/account", seatsWorkstationsRouter(deps, {}, accountDeps)); // issue 16: seats, workstations, container sessions
  // ---- sessions API (billing/sessions/**, owned by the sessions work) mounts here: ----
  app.use(sessionsRouter(deps)); // serves /v1/sessions/* and /.well-known/jwks.json
  // ---- end of sessions API mount ----
  app.use(registryRouter(deps)); // POST/GET /v1/registry/token (issue 15, billing/registry/**)

  app.use(notFoundHandler);
  app.use(errorMiddleware);
  return app;
}
