/**
 * The directory of people and organizations (migration 120, issue 16 §1): the few queries every part of
 * billing that deals with people shares — checkout fulfilment (the buyer becomes the owner), the admin API
 * (an admin-created license's customer), invitations, seat and workstation assignment. Emails are stored
 * lower-cased: `Alice@Example.com` and `alice@example.com` are one person.
 */
import { randomUUID } from "node:crypto";
import type { Queryable } from "../db/queryable.js";
import { ApiError } from "../http/errors.js";

export const ROLES = ["owner", "admin", "member", "viewer"] as const;
export type Role = (typeof ROLES)[number];

/** What each role may do, in increasing order of rights: a role may do everything the ones below it may. */
const RANK: Record<Role, number> = { viewer: 0, member: 1, admin: 2, owner: 3 };

/** Whether `role` has at least the rights of `needed` (e.g. an owner may do what an admin may). */
export function roleAtLeast(role: Role, needed: Role): boolean {
  return RANK[role] >= RANK[needed];
}

export interface UserRow {
  id: string;
  email: string;
  email_verified_at: Date | null;
  created_at: Date;
  last_sign_in_at: Date | null;
}

export function normalizeEmail(email: string): string {
  return email.trim().toLowerCase();
}

/** The user with this email, created if new. `verified` records that they proved they read its mail. */
export async function ensureUser(
  tx: Queryable,
  email: string,
  now: Date,
  options: { verified?: boolean } = {},
): Promise<UserRow> {
  const result = await tx.query<UserRow>(
    `INSERT INTO users (id, email, email_verified_at, created_at) VALUES ($1, $2, $3, $4)
     ON CONFLICT (email) DO UPDATE
       SET email_verified_at = COALESCE(users.email_verified_at, EXCLUDED.email_verified_at)
     RETURNING *`,
    [randomUUID(), normalizeEmail(email), options.verified ? now : null, now],
  );
  return result.rows[0]!;
}

export async function findUserByEmail(db: Queryable, email: string): Promise<UserRow | undefined> {
  const result = await db.query<UserRow>("SELECT * FROM users WHERE email = $1", [normalizeEmail(email)]);
  return result.rows[0];
}

export async function getUser(db: Queryable, id: string): Promise<UserRow | undefined> {
  const result = await db.query<UserRow>("SELECT * FROM users WHERE id = $1", [id]);
  return result.rows[0];
}

export interface OrganizationRow {
  slug: string;
  owner_user_id: string;
  created_at: Date;
}

export type EnsureOrganizationResult =
  | { outcome: "created" | "existing"; organization: OrganizationRow }
  /** The slug belongs to an organization this person is not an owner or admin of. */
  | { outcome: "taken"; organization: OrganizationRow };

/**
 * The organization `slug` for a purchase or grant by `owner`: created (with `owner` as its owner) when new;
 * when it exists, usable only by its owners and admins — anyone else typing an existing slug must not get
 * licenses (and Workstation resources) into another customer's namespace.
 */
export async function ensureOrganization(
  tx: Queryable,
  slug: string,
  owner: UserRow,
  now: Date,
): Promise<EnsureOrganizationResult> {
  const inserted = await tx.query<OrganizationRow>(
    `INSERT INTO organizations (slug, owner_user_id, created_at) VALUES ($1, $2, $3)
     ON CONFLICT (slug) DO NOTHING RETURNING *`,
    [slug, owner.id, now],
  );
  if (inserted.rows[0]) {
    await tx.query(
      `INSERT INTO memberships (organization, user_id, role, created_at) VALUES ($1, $2, 'owner', $3)
       ON CONFLICT (organization, user_id) DO UPDATE SET role = 'owner'`,
      [slug, owner.id, now],
    );
    return { outcome: "created", organization: inserted.rows[0] };
  }
  const existing = await tx.query<OrganizationRow>("SELECT * FROM organizations WHERE slug = $1", [slug]);
  const organization = existing.rows[0]!;
  const role = await roleIn(tx, slug, owner.id);
  return role && roleAtLeast(role, "admin")
    ? { outcome: "existing", organization }
    : { outcome: "taken", organization };
}

/** The user's role in the organization, or undefined when they are not a member. */
export async function roleIn(db: Queryable, organization: string, userId: string): Promise<Role | undefined> {
  const result = await db.query<{ role: Role }>(
    "SELECT role FROM memberships WHERE organization = $1 AND user_id = $2",
    [organization, userId],
  );
  return result.rows[0]?.role;
}

/** The user `userId` when they are a member of the organization; 404 `member_not_found` otherwise. */
export async function memberOrThrow(tx: Queryable, organization: string, userId: string): Promise<UserRow> {
  const user = await getUser(tx, userId);
  if (!user || !(await roleIn(tx, organization, userId))) {
    throw new ApiError(
      404,
      "member_not_found",
      `user ${JSON.stringify(userId)} is not a member of organization "${organization}"`,
    );
  }
  return user;
}
