/**
 * The organization pages (issue 17, second part): overview, members and invitations, license key, Docker
 * access. Each reads PostgreSQL through the query functions the customer API uses (overview, team); every
 * action on them is a `data-api` form going through the JSON API (account.js). Not a member → the 404 page,
 * as the API's requireRole answers 404 to outsiders.
 */
import type { Request, RequestHandler, Response, Router } from "express";
import type { LicenseTier } from "../../../lib/domain.js";
import type { BillingDeps } from "../../deps.js";
import type { Role } from "../directory.js";
import { accountOf } from "../http/authenticate.js";
import { organizationOverview } from "../overview/overview.js";
import { listInvitations } from "../team/invitations.js";
import { listMembers } from "../team/members.js";
import { dockerBody } from "./docker-page.js";
import { html, type SafeHtml } from "./html.js";
import { keyBody } from "./key-page.js";
import type { PageSend } from "./layout.js";
import { membersBody } from "./members-page.js";
import { organizationAccess, organizationNav } from "./organization-frame.js";
import { overviewBody } from "./overview-page.js";

type PageDeps = Pick<BillingDeps, "db" | "clock" | "config">;

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function notFoundBody(what: string): SafeHtml {
  return html`<p>${what} does not exist, or you are not a member of it.
<a href="/account/">Go to your organizations</a>.</p>`;
}

export function mountOrganizationPages(
  router: Router,
  deps: PageDeps,
  signedIn: RequestHandler,
  send: PageSend,
): void {
  /** Renders `render`'s body for a member holding at least `minimum`; 404 / 403 pages otherwise. */
  const page =
    (
      minimum: Role,
      title: string,
      current: string,
      render: (ctx: {
        req: Request;
        organization: string;
        role: Role;
        nav: SafeHtml;
      }) => Promise<SafeHtml | undefined>,
    ) =>
    async (req: Request, res: Response) => {
      const account = accountOf(req);
      const signedInFrame = { email: account.email, csrfToken: req.accountCsrfToken! };
      const organization = String(req.params.organization);
      const access = await organizationAccess(deps.db, organization, account.userId, minimum);
      if (access.kind === "not_found") {
        return send(
          res,
          {
            title: "Organization not found",
            body: notFoundBody(`Organization ${organization}`),
            signedIn: signedInFrame,
          },
          404,
        );
      }
      if (access.kind === "forbidden") {
        return send(
          res,
          {
            title,
            body: html`<p>This page needs the ${access.minimum} role (or higher) in ${organization}; you are
${access.role === "admin" ? "an" : "a"} ${access.role}.</p>`,
            signedIn: signedInFrame,
          },
          403,
        );
      }
      const nav = organizationNav(organization, access.role, current);
      const body = await render({ req, organization, role: access.role, nav });
      if (!body) {
        return send(
          res,
          { title: "Not found", body: notFoundBody("This page"), signedIn: signedInFrame },
          404,
        );
      }
      send(res, { title: `${title} · ${organization}`, body, signedIn: signedInFrame });
    };

  const org = "/organizations/:organization";

  router.get(
    org,
    signedIn,
    page("viewer", "Overview", "", async ({ organization, role, nav }) =>
      overviewBody(
        organization,
        role,
        await organizationOverview(deps.db, organization, deps.clock.now()),
        nav,
      ),
    ),
  );

  router.get(
    `${org}/members`,
    signedIn,
    page("viewer", "Members", "/members", async ({ organization, role, nav }) =>
      membersBody({
        organization,
        role,
        members: await listMembers(deps.db, organization),
        invitations:
          role === "owner" || role === "admin" ? await listInvitations(deps.db, organization) : undefined,
        now: deps.clock.now(),
        nav,
      }),
    ),
  );

  router.get(
    `${org}/licenses/:licenseId/key`,
    signedIn,
    page("viewer", "License key", "/licenses", async ({ req, organization, role, nav }) => {
      const licenseId = String(req.params.licenseId);
      if (!UUID.test(licenseId)) return undefined;
      const row = await deps.db.query<{ id: string; tier: string; key_issued_at: Date | null }>(
        "SELECT id, tier, key_issued_at FROM licenses WHERE id = $1 AND organization = $2",
        [licenseId, organization],
      );
      const license = row.rows[0];
      if (!license) return undefined;
      return keyBody({
        organization,
        role,
        license: { id: license.id, tier: license.tier, keyIssuedAt: license.key_issued_at },
        nav,
      });
    }),
  );

  router.get(
    `${org}/docker`,
    signedIn,
    page("viewer", "Docker access", "/docker", async ({ organization, nav }) => {
      const tiers = await deps.db.query<{ tier: LicenseTier }>(
        "SELECT DISTINCT tier FROM licenses WHERE organization = $1 ORDER BY tier",
        [organization],
      );
      const registry = deps.config.registry;
      return dockerBody({
        organization,
        tiers: tiers.rows.map((r) => r.tier),
        licenseServer: deps.config.publicBaseUrl,
        registry: registry && { host: registry.registry, repositoryPrefix: registry.repositoryPrefix },
        nav,
      });
    }),
  );
}
