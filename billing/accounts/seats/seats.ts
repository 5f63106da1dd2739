/**
 * Seats (issue 16 §1, ADR 0230): a license's `seats` is how many people may hold one of its seats. Assigning
 * locks the license row (FOR UPDATE) and counts the assignments under that lock, so two concurrent assigns
 * cannot both take the last seat. Unassigning ends, in the same transaction, that person's sessions on the
 * license and their workstation access on it. Every function here runs inside the caller's transaction and
 * returns what must follow in the cluster after the commit (cluster-follow-up.ts).
 */
import { recordAudit } from "../../audit.js";
import type { Queryable } from "../../db/queryable.js";
import { ApiError } from "../../http/errors.js";
import { enqueueNotification } from "../../notifications/outbox.js";
import { getUser, memberOrThrow, type UserRow } from "../directory.js";
import { unassignWorkstations } from "../workstations/assignment.js";
import { type ClusterFollowUp, emptyFollowUp, mergeFollowUps } from "./cluster-follow-up.js";

/** The reason on sessions ended because their user lost the seat (row, ContainerSession status, audit). */
export const SEAT_UNASSIGNED_REASON = "SeatUnassigned";

export interface SeatLicense {
  id: string;
  organization: string;
  seats: number;
  state: string;
}

export interface SeatView {
  userId: string;
  email: string;
  assignedBy: string;
  assignedAt: string;
}

/** The license of `organization` with this id (locked for the seat count with `forUpdate`); 404 when it is another's. */
async function seatLicense(db: Queryable, organization: string, licenseId: string, forUpdate: boolean) {
  const license = (
    await db.query<SeatLicense>(
      `SELECT id, organization, seats, state FROM licenses WHERE id = $1 AND organization = $2${forUpdate ? " FOR UPDATE" : ""}`,
      [licenseId, organization],
    )
  ).rows[0];
  if (!license) {
    throw new ApiError(
      404,
      "license_not_found",
      `organization "${organization}" has no license ${JSON.stringify(licenseId)}`,
    );
  }
  return license;
}

/** The license of `organization` with this id, locked for the seat count; 404 when it is another's. */
export const lockSeatLicense = (tx: Queryable, organization: string, licenseId: string) =>
  seatLicense(tx, organization, licenseId, true);

export async function listSeats(db: Queryable, organization: string, licenseId: string) {
  const license = await seatLicense(db, organization, licenseId, false);
  const rows = await db.query<{ user_id: string; email: string; assigned_by: string; assigned_at: Date }>(
    `SELECT s.user_id, u.email, s.assigned_by, s.assigned_at
       FROM seat_assignments s JOIN users u ON u.id = s.user_id
      WHERE s.license_id = $1 ORDER BY s.assigned_at, u.email`,
    [licenseId],
  );
  const seats: SeatView[] = rows.rows.map((r) => ({
    userId: r.user_id,
    email: r.email,
    assignedBy: r.assigned_by,
    assignedAt: r.assigned_at.toISOString(),
  }));
  return { licenseId, seats: license.seats, used: seats.length, assignments: seats };
}

/**
 * Whether the person holds a seat on the license (joining a multi-user container needs one). Locks the seat
 * row (FOR SHARE) for the caller's transaction: an unassign waits for the join to commit and then removes
 * it, so a join cannot slip in beside a concurrent unassign.
 */
export async function holdsSeat(db: Queryable, licenseId: string, email: string): Promise<boolean> {
  const result = await db.query(
    `SELECT 1 FROM seat_assignments s JOIN users u ON u.id = s.user_id
      WHERE s.license_id = $1 AND u.email = lower($2) FOR SHARE OF s`,
    [licenseId, email],
  );
  return result.rows.length > 0;
}

/**
 * Gives `userId` (a member of the organization) a seat on the license. Idempotent: a second assign of the
 * same person answers the existing seat (`created: false`) and sends nothing. Beyond `seats`: 409.
 */
export async function assignSeat(
  tx: Queryable,
  input: { organization: string; licenseId: string; userId: string; actor: string; now: Date },
): Promise<{ created: boolean; seat: SeatView }> {
  const license = await lockSeatLicense(tx, input.organization, input.licenseId);
  const user = await memberOrThrow(tx, input.organization, input.userId);
  const existing = (
    await tx.query<{ assigned_by: string; assigned_at: Date }>(
      "SELECT assigned_by, assigned_at FROM seat_assignments WHERE license_id = $1 AND user_id = $2",
      [license.id, user.id],
    )
  ).rows[0];
  if (existing) {
    return {
      created: false,
      seat: {
        userId: user.id,
        email: user.email,
        assignedBy: existing.assigned_by,
        assignedAt: existing.assigned_at.toISOString(),
      },
    };
  }
  const used = Number(
    (
      await tx.query<{ n: string }>("SELECT count(*) AS n FROM seat_assignments WHERE license_id = $1", [
        license.id,
      ])
    ).rows[0]!.n,
  );
  if (used >= license.seats) {
    throw new ApiError(
      409,
      "seats_exhausted",
      `all ${license.seats} seats of license ${license.id} are assigned; unassign one or buy more`,
    );
  }
  await tx.query(
    "INSERT INTO seat_assignments (license_id, user_id, assigned_by, assigned_at) VALUES ($1, $2, $3, $4)",
    [license.id, user.id, input.actor, input.now],
  );
  await recordAudit(tx, {
    at: input.now,
    actor: input.actor,
    action: "seat.assigned",
    licenseId: license.id,
    before: null,
    after: { userId: user.id, email: user.email },
    details: { seats: license.seats, used: used + 1 },
  });
  await enqueueNotification(
    tx,
    {
      kind: "seat_assigned",
      to: user.email,
      licenseId: license.id,
      data: { organization: license.organization, licenseId: license.id },
      dedupeKey: `seat_assigned:${license.id}:${user.id}:${input.now.toISOString()}`,
    },
    input.now,
  );
  return {
    created: true,
    seat: {
      userId: user.id,
      email: user.email,
      assignedBy: input.actor,
      assignedAt: input.now.toISOString(),
    },
  };
}

/**
 * Removes the person's joins to multi-user containers of the license (or, without one, of the organization):
 * they leave at once. Audited. Returns the sessions whose user list changed (cluster follow-up).
 */
export async function leaveUserJoins(
  tx: Queryable,
  where: { organization: string; licenseId?: string },
  user: Pick<UserRow, "id" | "email">,
  actor: string,
  now: Date,
): Promise<ClusterFollowUp> {
  const left = await tx.query<{ session_id: string; license_id: string }>(
    `DELETE FROM container_session_users cu USING container_sessions s
      WHERE s.id = cu.session_id AND s.organization = $1 AND ($2::uuid IS NULL OR s.license_id = $2)
        AND s.state = 'active' AND lower(cu.user_email) = $3
      RETURNING cu.session_id, s.license_id`,
    [where.organization, where.licenseId ?? null, user.email],
  );
  const byLicense = new Map<string, string[]>();
  for (const row of left.rows)
    byLicense.set(row.license_id, [...(byLicense.get(row.license_id) ?? []), row.session_id]);
  for (const [licenseId, sessionIds] of byLicense) {
    await recordAudit(tx, {
      at: now,
      actor,
      action: "session.user_removed",
      licenseId,
      before: { user: user.email },
      after: null,
      details: { userId: user.id, sessionIds, reason: SEAT_UNASSIGNED_REASON },
    });
  }
  return { ...emptyFollowUp(), usersChangedSessionIds: left.rows.map((r) => r.session_id) };
}

/** Takes the user's seat on the license: their sessions there end, their workstations there are unassigned. */
export async function unassignSeat(
  tx: Queryable,
  input: { organization: string; licenseId: string; userId: string; actor: string; now: Date },
): Promise<ClusterFollowUp> {
  const license = await lockSeatLicense(tx, input.organization, input.licenseId);
  const removed = await tx.query<{ user_id: string; email: string }>(
    `DELETE FROM seat_assignments s USING users u
      WHERE s.license_id = $1 AND s.user_id = $2 AND u.id = s.user_id RETURNING s.user_id, u.email`,
    [license.id, input.userId],
  );
  const user = removed.rows[0];
  if (!user) {
    throw new ApiError(
      404,
      "seat_not_found",
      `user ${JSON.stringify(input.userId)} holds no seat on license ${license.id}`,
    );
  }
  const person = { id: user.user_id, email: user.email };
  const joins = await leaveUserJoins(
    tx,
    { organization: license.organization, licenseId: license.id },
    person,
    input.actor,
    input.now,
  );
  // Their workstations on this license: access removed, stopped, the sessions they admitted ended.
  const workstations = await unassignWorkstations(
    tx,
    { organization: license.organization, licenseId: license.id, userId: person.id },
    input.actor,
    input.now,
    SEAT_UNASSIGNED_REASON,
  );
  await recordAudit(tx, {
    at: input.now,
    actor: input.actor,
    action: "seat.unassigned",
    licenseId: license.id,
    before: { userId: person.id, email: person.email },
    after: null,
    details: {
      endedSessions: workstations.endedSessions.length,
      leftSessions: joins.usersChangedSessionIds.length,
    },
  });
  await enqueueNotification(
    tx,
    {
      kind: "seat_unassigned",
      to: person.email,
      licenseId: license.id,
      data: { organization: license.organization, licenseId: license.id },
      dedupeKey: `seat_unassigned:${license.id}:${person.id}:${input.now.toISOString()}`,
    },
    input.now,
  );
  return mergeFollowUps(joins, workstations, { ...emptyFollowUp(), licenseIds: [license.id] });
}

/**
 * Member removal (W1's DELETE …/members/:userId calls this in its transaction): every seat the user holds on
 * the organization's licenses is unassigned (ending their sessions there), and every workstation of the
 * organization assigned to them is unassigned. Apply the returned follow-up after the commit
 * (applyClusterFollowUp).
 */
export async function unassignUserEverywhere(
  tx: Queryable,
  organization: string,
  userId: string,
  actor: string,
  now: Date,
): Promise<ClusterFollowUp> {
  const licenses = await tx.query<{ license_id: string }>(
    `SELECT s.license_id FROM seat_assignments s JOIN licenses l ON l.id = s.license_id
      WHERE l.organization = $1 AND s.user_id = $2 ORDER BY s.license_id`,
    [organization, userId],
  );
  const followUps: ClusterFollowUp[] = [];
  for (const { license_id } of licenses.rows) {
    followUps.push(await unassignSeat(tx, { organization, licenseId: license_id, userId, actor, now }));
  }
  const user = await getUser(tx, userId);
  if (user) followUps.push(await leaveUserJoins(tx, { organization }, user, actor, now));
  followUps.push(
    await unassignWorkstations(tx, { organization, userId }, actor, now, SEAT_UNASSIGNED_REASON),
  );
  return mergeFollowUps(...followUps);
}
