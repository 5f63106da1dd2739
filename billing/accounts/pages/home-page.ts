/**
 * The signed-in home, /account/: the organizations the person belongs to and their role in each, each
 * linking to its overview. Also with a single organization this list is the home (no redirect): it is where
 * the "Organizations" link leads, and a person invited elsewhere later finds the same page.
 */
import type { Queryable } from "../../db/queryable.js";
import type { Role } from "../directory.js";
import { html, type SafeHtml } from "./html.js";
import { organizationPath } from "./organization-frame.js";

export interface MembershipView {
  organization: string;
  role: Role;
}

export async function membershipsOf(db: Queryable, userId: string): Promise<MembershipView[]> {
  const result = await db.query<MembershipView>(
    "SELECT organization, role FROM memberships WHERE user_id = $1 ORDER BY organization",
    [userId],
  );
  return result.rows;
}

const ROLE_WORDS: Record<Role, string> = {
  owner: "Owner: manages the team, billing and the license key",
  admin: "Admin: manages the team, seats and workstations",
  member: "Member: uses their seat and workstation",
  viewer: "Viewer: sees the organization",
};

export function homeBody(memberships: readonly MembershipView[]): SafeHtml {
  if (memberships.length === 0) {
    return html`<p>You do not belong to any organization yet. When someone invites you, the invitation
arrives by email; a purchase makes you the owner of a new organization.</p>`;
  }
  return html`<section aria-labelledby="orgs-heading">
<h2 id="orgs-heading">Your organizations</h2>
<table class="table">
<caption class="visually-hidden">Organizations you belong to and your role in each</caption>
<thead><tr><th scope="col">Organization</th><th scope="col">Your role</th></tr></thead>
<tbody>
${memberships.map(
  (
    m,
  ) => html`<tr><th scope="row"><a href="${organizationPath(m.organization)}"><code>${m.organization}</code></a></th><td>${ROLE_WORDS[m.role]}</td></tr>
`,
)}</tbody>
</table>
</section>`;
}
