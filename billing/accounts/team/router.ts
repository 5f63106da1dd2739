/**
 * Members and invitations under /v1/account (issue 16 §1, ADR 0221). Every organization route checks the
 * caller's role per request (requireRole); changes and their emails commit in one transaction.
 */
import { type Request, Router } from "express";
import { z } from "zod";
import { cookieValue } from "../../checkout/reveal.js";
import { withTransaction } from "../../db/tx.js";
import type { BillingDeps } from "../../deps.js";
import { ApiError } from "../../http/errors.js";
import { resolveAccountSession } from "../account-session.js";
import { foreignOriginProblem } from "../auth/router.js";
import {
  ACCOUNT_COOKIE,
  accountOf,
  CSRF_HEADER,
  csrfProblem,
  organizationParam,
  requireAccount,
  requireRole,
  setAccountCookie,
} from "../http/authenticate.js";
import {
  acceptInvitation,
  createInvitation,
  listInvitations,
  publicInvitation,
  resendInvitation,
  revokeInvitation,
  type TeamContext,
} from "./invitations.js";
import { changeRole, listMembers, type MemberRemovedHook, publicMember, removeMember } from "./members.js";
import { GRANTABLE_ROLES } from "./rules.js";

export interface TeamOptions {
  /** Run in the removal's transaction (the lead wires W2's unassignUserEverywhere here). */
  onMemberRemoved?: readonly MemberRemovedHook[];
}

const role = z.enum(GRANTABLE_ROLES, {
  message: "must be admin, member or viewer (an owner cannot be made)",
});
const inviteRequest = z.strictObject({
  email: z.email({ message: "must be an email address" }).max(320, "must be at most 320 characters"),
  role,
});
const roleRequest = z.strictObject({ role });
const invitationIdParam = z.object({ id: z.uuid({ message: "must be an invitation id (a UUID)" }) });
const userIdParam = z.object({ userId: z.uuid({ message: "must be a user id (a UUID)" }) });
const acceptRequest = z.strictObject({ token: z.string().min(1, "is required").max(200, "is too long") });

export function accountTeamRouter(deps: BillingDeps, options: TeamOptions = {}): Router {
  const router = Router();
  const { db, clock, config } = deps;
  const signedIn = requireAccount(deps);
  const org = "/organizations/:organization";
  const context = (req: Request): TeamContext => ({
    organization: organizationParam(req),
    actor: accountOf(req),
    actorRole: req.accountRole!,
    publicBaseUrl: config.publicBaseUrl,
    now: clock.now(),
  });

  router.post(`${org}/invitations`, signedIn, requireRole(deps, "admin"), async (req, res) => {
    const body = inviteRequest.parse(req.body);
    const ctx = context(req);
    const invitation = await withTransaction(db, (tx) => createInvitation(tx, ctx, body));
    res
      .status(201)
      .json({ invitation: publicInvitation({ ...invitation, inviter_email: ctx.actor.email }, ctx.now) });
  });

  router.get(`${org}/invitations`, signedIn, requireRole(deps, "admin"), async (req, res) => {
    const now = clock.now();
    const rows = await listInvitations(db, organizationParam(req));
    res.json({ invitations: rows.map((row) => publicInvitation(row, now)) });
  });

  router.post(`${org}/invitations/:id/resend`, signedIn, requireRole(deps, "admin"), async (req, res) => {
    const { id } = invitationIdParam.parse(req.params);
    const ctx = context(req);
    const invitation = await withTransaction(db, (tx) => resendInvitation(tx, ctx, id));
    res.json({ invitation: publicInvitation(invitation, ctx.now) });
  });

  router.delete(`${org}/invitations/:id`, signedIn, requireRole(deps, "admin"), async (req, res) => {
    const { id } = invitationIdParam.parse(req.params);
    const ctx = context(req);
    const invitation = await withTransaction(db, (tx) => revokeInvitation(tx, ctx, id));
    res.json({ invitation: publicInvitation(invitation, ctx.now) });
  });

  // Signed in or not: a signed-in caller passes the CSRF check; a signed-out one only the Origin check
  // (accepting signs them in, so another site must not be able to make a browser do it).
  router.post("/invitations/accept", async (req, res) => {
    const now = clock.now();
    const cookie = cookieValue(req.headers.cookie, ACCOUNT_COOKIE);
    const current = cookie ? await resolveAccountSession(db, cookie, now) : undefined;
    const origin = req.get("origin") ?? undefined;
    if (current) {
      const problem = csrfProblem(current, req.get(CSRF_HEADER), origin, config.publicBaseUrl);
      if (problem) throw new ApiError(403, "csrf_failed", problem);
    } else {
      const foreign = foreignOriginProblem(origin, config.publicBaseUrl);
      if (foreign) throw foreign;
    }
    const { token } = acceptRequest.parse(req.body);
    const accepted = await withTransaction(db, (tx) => acceptInvitation(tx, token, current, now));
    if (accepted.session) {
      setAccountCookie(res, config.publicBaseUrl, accepted.session.token, accepted.session.expiresAt, now);
    }
    res.setHeader("cache-control", "no-store");
    res.json({
      organization: { slug: accepted.organization, role: accepted.role },
      user: { id: accepted.user.id, email: accepted.user.email },
      ...(accepted.session ? { csrfToken: accepted.session.csrfToken } : {}),
    });
  });

  router.get(`${org}/members`, signedIn, requireRole(deps, "viewer"), async (req, res) => {
    const rows = await listMembers(db, organizationParam(req));
    res.json({ members: rows.map(publicMember) });
  });

  router.patch(`${org}/members/:userId`, signedIn, requireRole(deps, "admin"), async (req, res) => {
    const { userId } = userIdParam.parse(req.params);
    const body = roleRequest.parse(req.body);
    const ctx = context(req);
    const member = await withTransaction(db, (tx) => changeRole(tx, ctx, userId, body.role));
    res.json({ member: { userId: member.user_id, email: member.email, role: member.role } });
  });

  router.delete(`${org}/members/:userId`, signedIn, requireRole(deps, "admin"), async (req, res) => {
    const { userId } = userIdParam.parse(req.params);
    const ctx = context(req);
    const afterCommit = await withTransaction(db, (tx) =>
      removeMember(tx, ctx, userId, options.onMemberRemoved ?? []),
    );
    for (const after of afterCommit) await after();
    res.status(204).end();
  });

  return router;
}
