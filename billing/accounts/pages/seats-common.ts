/**
 * What the seat, workstation and container-session pages share (issue 17): the organization's members for
 * the assign selects, the sub-navigation between the organization's pages, and how times are written.
 */
import type { Queryable } from "../../db/queryable.js";
import { type Role, roleAtLeast } from "../directory.js";
import { html, type SafeHtml } from "./html.js";
import { dateTime, organizationNav as frameNav } from "./organization-frame.js";

export interface MemberOption {
  userId: string;
  email: string;
  role: Role;
}

/** The organization's members (the people a seat or a workstation can be assigned to). */
export async function membersOf(db: Queryable, organization: string): Promise<MemberOption[]> {
  const result = await db.query<{ user_id: string; email: string; role: Role }>(
    `SELECT m.user_id, u.email, m.role FROM memberships m JOIN users u ON u.id = m.user_id
      WHERE m.organization = $1 ORDER BY u.email`,
    [organization],
  );
  return result.rows.map((r) => ({ userId: r.user_id, email: r.email, role: r.role }));
}

/** Who is looking at the page: what it shows them is what the API would let them do. */
export interface Viewer {
  userId: string;
  role: Role;
}

export const canManage = (viewer: Viewer) => roleAtLeast(viewer.role, "admin");

export type OrganizationPage = "seats" | "workstations" | "sessions";

/** The organization's navigation (the one in organization-frame.ts), with `current` marked. */
export function organizationNav(organization: string, role: Role, current: OrganizationPage): SafeHtml {
  return frameNav(organization, role, `/${current}`);
}

/** The API path of an organization (the pages' forms and account.js's polling call it). */
export function organizationApi(organization: string): string {
  return `/v1/account/organizations/${encodeURIComponent(organization)}`;
}

/** A timestamp people read: UTC, to the minute, in a <time> element with the exact instant. */
export function timeOf(iso: string | null | undefined): SafeHtml {
  return iso ? dateTime(iso) : html`—`;
}
