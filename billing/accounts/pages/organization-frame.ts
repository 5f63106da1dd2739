/**
 * What every organization page shares (issue 17): the organization's own navigation, and the page-side
 * membership check. The check mirrors the API's requireRole — not a member is a 404 page (an outsider cannot
 * probe which organizations exist), too low a role a 403 page naming the role needed — but it only decides
 * what to *show*: every action on the page is a call to the API, which checks again.
 */
import type { Queryable } from "../../db/queryable.js";
import { type Role, roleAtLeast, roleIn } from "../directory.js";
import { html, type SafeHtml } from "./html.js";

export interface OrganizationLink {
  /** Path below /account/organizations/:organization ("" = the overview). */
  path: string;
  label: string;
  /** Shown to this role and higher only (the API refuses the rest anyway). */
  minimum: Role;
}

/** The organization's pages in the order of its navigation; other workstreams' pages append here. */
export const ORGANIZATION_LINKS: OrganizationLink[] = [
  { path: "", label: "Overview", minimum: "viewer" },
  { path: "/members", label: "Members", minimum: "viewer" },
  { path: "/seats", label: "Seats", minimum: "viewer" },
  { path: "/workstations", label: "Workstations", minimum: "viewer" },
  { path: "/sessions", label: "Container sessions", minimum: "viewer" },
  { path: "/docker", label: "Docker access", minimum: "viewer" },
];

export const organizationPath = (organization: string, path = "") =>
  `/account/organizations/${encodeURIComponent(organization)}${path}`;

/** The organization's navigation; `current` gets aria-current so screen readers say where you are. */
export function organizationNav(organization: string, role: Role, current: string): SafeHtml {
  return html`<nav class="org-nav" aria-label="Organization ${organization}">
<ul class="org-links">
${ORGANIZATION_LINKS.filter((link) => roleAtLeast(role, link.minimum)).map(
  (link) =>
    html`<li><a href="${organizationPath(organization, link.path)}"${link.path === current ? html` aria-current="page"` : ""}>${link.label}</a></li>
`,
)}</ul>
</nav>`;
}

export type OrganizationAccess =
  | { kind: "allowed"; role: Role }
  | { kind: "not_found" }
  | { kind: "forbidden"; role: Role; minimum: Role };

/** The signed-in person's access to an organization page (same answers as the API's requireRole). */
export async function organizationAccess(
  db: Queryable,
  organization: string,
  userId: string,
  minimum: Role,
): Promise<OrganizationAccess> {
  const role = await roleIn(db, organization, userId);
  if (!role) return { kind: "not_found" };
  if (!roleAtLeast(role, minimum)) return { kind: "forbidden", role, minimum };
  return { kind: "allowed", role };
}

export const ROLE_NAMES: Record<Role, string> = {
  owner: "Owner",
  admin: "Admin",
  member: "Member",
  viewer: "Viewer",
};

/** A date for people: the day and the time in UTC, with the machine-readable value in <time>. */
export function dateTime(value: string | Date | null): SafeHtml {
  if (value === null) return html`never`;
  const iso = typeof value === "string" ? value : value.toISOString();
  return html`<time datetime="${iso}">${iso.slice(0, 10)} ${iso.slice(11, 16)} UTC</time>`;
}
