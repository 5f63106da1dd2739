/**
 * Members of an organization (issue 16 §1, ADR 0221): list, change role, remove. Removal runs the
 * `onMemberRemoved` hooks in the same transaction, so everything a member held in the organization (seats,
 * workstations: W2's `unassignUserEverywhere`) goes with the membership, atomically.
 */
import { recordAudit } from "../../audit.js";
import type { Queryable } from "../../db/queryable.js";
import { ApiError } from "../../http/errors.js";
import type { Role } from "../directory.js";
import { accountActor, type TeamContext } from "./invitations.js";
import { type GrantableRole, grantProblem, manageProblem } from "./rules.js";

/**
 * Runs inside the removal's transaction after the membership row is gone; the signature of W2's
 * `unassignUserEverywhere(tx, organization, userId, actor, now)`. A hook that throws undoes the removal.
 */
export type MemberRemovedHook = (
  tx: Queryable,
  organization: string,
  userId: string,
  actor: string,
  now: Date,
) => Promise<AfterCommit | undefined>;

/** Work a hook hands back to run after the removal commits (e.g. cluster writes), never inside it. */
export type AfterCommit = () => Promise<void>;

export interface MemberRow {
  user_id: string;
  email: string;
  role: Role;
  created_at: Date;
  seats: number;
}

export const publicMember = (row: MemberRow) => ({
  userId: row.user_id,
  email: row.email,
  role: row.role,
  joinedAt: row.created_at.toISOString(),
  seats: row.seats,
});

const ROLE_ORDER = "CASE m.role WHEN 'owner' THEN 0 WHEN 'admin' THEN 1 WHEN 'member' THEN 2 ELSE 3 END";

export async function listMembers(db: Queryable, organization: string): Promise<MemberRow[]> {
  const result = await db.query<MemberRow>(
    `SELECT m.user_id, u.email, m.role, m.created_at,
            (SELECT count(*)::int FROM seat_assignments s JOIN licenses l ON l.id = s.license_id
              WHERE s.user_id = m.user_id AND l.organization = m.organization) AS seats
       FROM memberships m JOIN users u ON u.id = m.user_id
      WHERE m.organization = $1 ORDER BY ${ROLE_ORDER}, u.email`,
    [organization],
  );
  return result.rows;
}

async function lockedMember(tx: Queryable, organization: string, userId: string): Promise<MemberRow> {
  const result = await tx.query<MemberRow>(
    `SELECT m.user_id, u.email, m.role, m.created_at, 0 AS seats
       FROM memberships m JOIN users u ON u.id = m.user_id
      WHERE m.organization = $1 AND m.user_id = $2 FOR UPDATE OF m`,
    [organization, userId],
  );
  if (!result.rows[0]) {
    throw new ApiError(404, "member_not_found", `user ${userId} is not a member of ${organization}`);
  }
  return result.rows[0];
}

export async function changeRole(
  tx: Queryable,
  ctx: TeamContext,
  userId: string,
  role: GrantableRole,
): Promise<MemberRow> {
  const before = await lockedMember(tx, ctx.organization, userId);
  const problem = manageProblem(ctx.actorRole, before.role, "change") ?? grantProblem(ctx.actorRole, role);
  if (problem) throw problem;
  if (before.role !== role) {
    await tx.query("UPDATE memberships SET role = $3 WHERE organization = $1 AND user_id = $2", [
      ctx.organization,
      userId,
      role,
    ]);
    await recordAudit(tx, {
      at: ctx.now,
      actor: accountActor(ctx.actor.email),
      action: "membership.role_changed",
      licenseId: null,
      before: { role: before.role },
      after: { role },
      details: { organization: ctx.organization, userId, email: before.email },
    });
  }
  return { ...before, role };
}

/**
 * Removes a member: the membership, then every hook (seats, workstations), then the audit record — one
 * transaction. The person's sign-in session stays (they may belong to other organizations); it no longer
 * opens anything of this one, since every organization route checks the membership per request.
 */
export async function removeMember(
  tx: Queryable,
  ctx: Pick<TeamContext, "organization" | "actor" | "actorRole" | "now">,
  userId: string,
  onMemberRemoved: readonly MemberRemovedHook[] = [],
): Promise<AfterCommit[]> {
  const before = await lockedMember(tx, ctx.organization, userId);
  const problem = manageProblem(ctx.actorRole, before.role, "remove");
  if (problem) throw problem;
  await tx.query("DELETE FROM memberships WHERE organization = $1 AND user_id = $2", [
    ctx.organization,
    userId,
  ]);
  const actor = accountActor(ctx.actor.email);
  const afterCommit: AfterCommit[] = [];
  for (const hook of onMemberRemoved) {
    const after = await hook(tx, ctx.organization, userId, actor, ctx.now);
    if (after) afterCommit.push(after);
  }
  await recordAudit(tx, {
    at: ctx.now,
    actor,
    action: "membership.removed",
    licenseId: null,
    before: { organization: ctx.organization, userId, email: before.email, role: before.role },
    after: null,
  });
  return afterCommit;
}
