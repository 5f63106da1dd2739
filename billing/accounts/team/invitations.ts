/**
 * Invitations (issue 16 §1, ADR 0221): an admin or the owner invites an email with a role; the invitee gets
 * a one-time link (token stored hashed) valid 7 days from the last (re)send. A second invitation to an
 * address with a pending one is 409 `invitation_pending` (use resend: a new token, the old one stops
 * working, a fresh 7 days). Accepting by token makes the person a member; when nobody is signed in it signs
 * the invitee in (reading the email proved the address); signed in as someone else it is refused.
 */
import { randomUUID } from "node:crypto";
import { recordAudit } from "../../audit.js";
import type { Queryable } from "../../db/queryable.js";
import { ApiError } from "../../http/errors.js";
import { enqueueNotification } from "../../notifications/outbox.js";
import {
  type ActiveAccountSession,
  createAccountSession,
  hashToken,
  type NewAccountSession,
  newToken,
} from "../account-session.js";
import { ensureUser, normalizeEmail, type Role, roleIn, type UserRow } from "../directory.js";
import { type GrantableRole, grantProblem } from "./rules.js";

export const INVITATION_LIFETIME_MS = 7 * 24 * 60 * 60 * 1000;
export type InvitationState = "pending" | "accepted" | "expired" | "revoked";

export const invitationAcceptUrl = (publicBaseUrl: string, token: string) =>
  `${publicBaseUrl}/account/invitations/accept?token=${encodeURIComponent(token)}`;

export const accountActor = (email: string) => `account:${email}`;

export interface InvitationRow {
  id: string;
  organization: string;
  email: string;
  role: GrantableRole;
  inviter_user_id: string;
  state: InvitationState;
  expires_at: Date;
  created_at: Date;
  sent_at: Date;
  accepted_at: Date | null;
  revoked_at: Date | null;
}

/** A pending invitation past its expiry is shown (and treated) as expired even before anything wrote it. */
export function effectiveState(row: Pick<InvitationRow, "state" | "expires_at">, now: Date): InvitationState {
  return row.state === "pending" && now.getTime() >= row.expires_at.getTime() ? "expired" : row.state;
}

export function publicInvitation(row: InvitationRow & { inviter_email?: string }, now: Date) {
  return {
    id: row.id,
    email: row.email,
    role: row.role,
    state: effectiveState(row, now),
    invitedBy: row.inviter_email ?? null,
    expiresAt: row.expires_at.toISOString(),
    createdAt: row.created_at.toISOString(),
    sentAt: row.sent_at.toISOString(),
    acceptedAt: row.accepted_at?.toISOString() ?? null,
    revokedAt: row.revoked_at?.toISOString() ?? null,
  };
}

export interface TeamContext {
  organization: string;
  actor: ActiveAccountSession;
  actorRole: Role;
  publicBaseUrl: string;
  now: Date;
}

async function enqueueInvitationEmail(
  tx: Queryable,
  ctx: TeamContext,
  invitation: InvitationRow,
  token: string,
): Promise<void> {
  await enqueueNotification(
    tx,
    {
      kind: "invitation",
      to: invitation.email,
      data: {
        organization: invitation.organization,
        inviter: ctx.actor.email,
        role: invitation.role,
        expiresAt: invitation.expires_at.toISOString(),
        acceptUrl: invitationAcceptUrl(ctx.publicBaseUrl, token),
      },
      // One message per (re)send: the cause is this invitation sent at this time.
      dedupeKey: `invitation:${invitation.id}:${invitation.sent_at.toISOString()}`,
    },
    ctx.now,
  );
}

export async function createInvitation(
  tx: Queryable,
  ctx: TeamContext,
  request: { email: string; role: GrantableRole },
): Promise<InvitationRow> {
  const problem = grantProblem(ctx.actorRole, request.role);
  if (problem) throw problem;
  const email = normalizeEmail(request.email);
  const member = await tx.query(
    "SELECT 1 FROM memberships m JOIN users u ON u.id = m.user_id WHERE m.organization = $1 AND u.email = $2",
    [ctx.organization, email],
  );
  if (member.rowCount) {
    throw new ApiError(409, "already_member", `${email} is already a member of ${ctx.organization}`);
  }
  // A pending invitation past its expiry no longer blocks a new one.
  await tx.query(
    `UPDATE invitations SET state = 'expired'
      WHERE organization = $1 AND email = $2 AND state = 'pending' AND expires_at <= $3`,
    [ctx.organization, email, ctx.now],
  );
  const token = newToken();
  const inserted = await tx.query<InvitationRow>(
    `INSERT INTO invitations (id, organization, email, role, inviter_user_id, token_hash, state, expires_at,
                              created_at, sent_at)
     VALUES ($1, $2, $3, $4, $5, $6, 'pending', $7, $8, $8)
     ON CONFLICT (organization, email) WHERE state = 'pending' DO NOTHING RETURNING *`,
    [
      randomUUID(),
      ctx.organization,
      email,
      request.role,
      ctx.actor.userId,
      hashToken(token),
      new Date(ctx.now.getTime() + INVITATION_LIFETIME_MS),
      ctx.now,
    ],
  );
  const invitation = inserted.rows[0];
  if (!invitation) {
    throw new ApiError(
      409,
      "invitation_pending",
      `${email} already has a pending invitation to ${ctx.organization}; resend it instead (POST …/invitations/{id}/resend)`,
    );
  }
  await enqueueInvitationEmail(tx, ctx, invitation, token);
  await recordAudit(tx, {
    at: ctx.now,
    actor: accountActor(ctx.actor.email),
    action: "invitation.created",
    licenseId: null,
    before: null,
    after: { organization: ctx.organization, email, role: request.role, state: "pending" },
    details: { invitationId: invitation.id },
  });
  return invitation;
}

export async function listInvitations(db: Queryable, organization: string) {
  const result = await db.query<InvitationRow & { inviter_email: string }>(
    `SELECT i.*, u.email AS inviter_email FROM invitations i JOIN users u ON u.id = i.inviter_user_id
      WHERE i.organization = $1 ORDER BY i.created_at DESC, i.id`,
    [organization],
  );
  return result.rows;
}

async function lockedInvitation(tx: Queryable, organization: string, id: string): Promise<InvitationRow> {
  const result = await tx.query<InvitationRow>(
    "SELECT * FROM invitations WHERE organization = $1 AND id = $2 FOR UPDATE",
    [organization, id],
  );
  if (!result.rows[0]) {
    throw new ApiError(404, "invitation_not_found", `no invitation ${id} in ${organization}`);
  }
  return result.rows[0];
}

/**
 * The pending invitation `id`, locked, that the caller may manage (resend, revoke): 404 when unknown, the
 * role rules' refusal, 409 `invitation_not_pending` (with `otherwise`: what to do instead) when it is not.
 */
async function managedPendingInvitation(
  tx: Queryable,
  ctx: TeamContext,
  id: string,
  otherwise: string,
): Promise<InvitationRow> {
  const invitation = await lockedInvitation(tx, ctx.organization, id);
  const problem = grantProblem(ctx.actorRole, invitation.role);
  if (problem) throw problem;
  if (invitation.state !== "pending") {
    throw new ApiError(
      409,
      "invitation_not_pending",
      `invitation ${id} is ${invitation.state}; ${otherwise}`,
    );
  }
  return invitation;
}

/** A new token (the old link stops working) and a fresh 7 days; pending (or lapsed) invitations only. */
export async function resendInvitation(tx: Queryable, ctx: TeamContext, id: string): Promise<InvitationRow> {
  const before = await managedPendingInvitation(tx, ctx, id, "invite again instead");
  const token = newToken();
  const updated = await tx.query<InvitationRow>(
    "UPDATE invitations SET token_hash = $2, sent_at = $3, expires_at = $4 WHERE id = $1 RETURNING *",
    [id, hashToken(token), ctx.now, new Date(ctx.now.getTime() + INVITATION_LIFETIME_MS)],
  );
  const invitation = updated.rows[0]!;
  await enqueueInvitationEmail(tx, ctx, invitation, token);
  await recordAudit(tx, {
    at: ctx.now,
    actor: accountActor(ctx.actor.email),
    action: "invitation.resent",
    licenseId: null,
    before: { expiresAt: before.expires_at.toISOString() },
    after: { expiresAt: invitation.expires_at.toISOString() },
    details: { invitationId: id, organization: ctx.organization, email: invitation.email },
  });
  return invitation;
}

export async function revokeInvitation(tx: Queryable, ctx: TeamContext, id: string): Promise<InvitationRow> {
  const before = await managedPendingInvitation(tx, ctx, id, "nothing to revoke");
  const updated = await tx.query<InvitationRow>(
    "UPDATE invitations SET state = 'revoked', revoked_at = $2 WHERE id = $1 RETURNING *",
    [id, ctx.now],
  );
  await recordAudit(tx, {
    at: ctx.now,
    actor: accountActor(ctx.actor.email),
    action: "invitation.revoked",
    licenseId: null,
    before: { state: effectiveState(before, ctx.now) },
    after: { state: "revoked" },
    details: { invitationId: id, organization: ctx.organization, email: before.email },
  });
  return updated.rows[0]!;
}

export interface AcceptedInvitation {
  organization: string;
  role: Role;
  user: UserRow;
  /** Set when accepting signed the invitee in (nobody was signed in). */
  session?: NewAccountSession;
}

/** Accepts by token; `current` is the signed-in session of the request, if any. */
export async function acceptInvitation(
  tx: Queryable,
  token: string,
  current: ActiveAccountSession | undefined,
  now: Date,
): Promise<AcceptedInvitation> {
  const found = await tx.query<InvitationRow>("SELECT * FROM invitations WHERE token_hash = $1 FOR UPDATE", [
    hashToken(token),
  ]);
  const invitation = found.rows[0];
  if (!invitation) {
    throw new ApiError(
      404,
      "invitation_not_found",
      "this invitation link is not valid (it may have been resent: use the newest email)",
    );
  }
  const state = effectiveState(invitation, now);
  if (state === "expired") {
    throw new ApiError(410, "invitation_expired", "this invitation expired; ask for a new one");
  }
  if (state !== "pending") {
    throw new ApiError(409, "invitation_not_pending", `this invitation was ${state}`);
  }
  if (current && current.email !== invitation.email) {
    throw new ApiError(
      409,
      "invitation_for_another_email",
      `this invitation is for another email address than the one you are signed in as (${current.email}); sign out first`,
    );
  }
  const user = await ensureUser(tx, invitation.email, now, { verified: true });
  // Already a member (e.g. invited twice in two ways): keep the role they have.
  await tx.query(
    `INSERT INTO memberships (organization, user_id, role, created_at) VALUES ($1, $2, $3, $4)
     ON CONFLICT (organization, user_id) DO NOTHING`,
    [invitation.organization, user.id, invitation.role, now],
  );
  await tx.query(
    "UPDATE invitations SET state = 'accepted', accepted_at = $2, accepted_user_id = $3 WHERE id = $1",
    [invitation.id, now, user.id],
  );
  const role = (await roleIn(tx, invitation.organization, user.id))!;
  await recordAudit(tx, {
    at: now,
    actor: accountActor(user.email),
    action: "membership.created",
    licenseId: null,
    before: null,
    after: { organization: invitation.organization, userId: user.id, email: user.email, role },
    details: { invitationId: invitation.id },
  });
  const session = current ? undefined : await createAccountSession(tx, user.id, "invitation", now);
  return { organization: invitation.organization, role, user, ...(session ? { session } : {}) };
}
