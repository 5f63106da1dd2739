/**
 * Workstation assignment and power (issue 16 §1, ADR 0230). provisioned_workstations.assignee_user_id is who
 * the Workstation resource names as spec.user (NULL: nobody, no access); desired_state is its
 * spec.desiredState. Assigning moves access to the new person and starts the workstation; unassigning
 * removes access and stops it at once. The workstation stays the organization's for the next assignee —
 * with its home disk, which holds the previous person's files (ADR 0230 says why it is kept). Either way
 * the container sessions admitted through the workstation's identity end (they were its previous user's).
 * Every function runs inside the caller's transaction; the cluster follows after the commit.
 */
import { recordAudit } from "../../audit.js";
import type { Queryable } from "../../db/queryable.js";
import { ApiError } from "../../http/errors.js";
import { auditTerminatedSessions, type SessionRow } from "../../sessions/store.js";
import { memberOrThrow, type Role, roleAtLeast } from "../directory.js";
import { type ClusterFollowUp, emptyFollowUp } from "../seats/cluster-follow-up.js";

export const WORKSTATION_UNASSIGNED_REASON = "WorkstationUnassigned";
export const WORKSTATION_REASSIGNED_REASON = "WorkstationReassigned";

export interface AssignmentRow {
  name: string;
  namespace: string;
  license_id: string;
  assignee_user_id: string | null;
  desired_state: "Running" | "Stopped";
  removal_requested_at: Date | null;
}

/** The workstation `name` of the organization, locked for the change; 404 when it is not theirs. */
export async function lockWorkstation(tx: Queryable, organization: string, name: string) {
  const row = (
    await tx.query<AssignmentRow>(
      `SELECT name, namespace, license_id, assignee_user_id, desired_state, removal_requested_at
         FROM provisioned_workstations WHERE name = $1 AND namespace = $2 FOR UPDATE`,
      [name, organization],
    )
  ).rows[0];
  if (!row) {
    throw new ApiError(
      404,
      "workstation_not_found",
      `organization "${organization}" has no workstation ${JSON.stringify(name)}`,
    );
  }
  return row;
}

function refuseWhenBeingRemoved(row: AssignmentRow) {
  if (row.removal_requested_at) {
    throw new ApiError(
      409,
      "workstation_being_removed",
      `workstation ${row.name} is being removed (the subscription has fewer workstations); it cannot be assigned or started`,
    );
  }
}

/** Ends the active sessions admitted through these workstations' identities (ADR 0151 principals). */
async function endWorkstationSessions(
  tx: Queryable,
  workstations: Pick<AssignmentRow, "name" | "namespace" | "license_id">[],
  reason: string,
  actor: string,
  now: Date,
): Promise<SessionRow[]> {
  if (workstations.length === 0) return [];
  const principals = workstations.map((w) => `workstation:${w.namespace}/${w.name}`);
  const ended = await tx.query<SessionRow>(
    `UPDATE container_sessions SET state = 'terminated', reason = $2, ended_at = $3
      WHERE state = 'active' AND principal = ANY($1::text[]) RETURNING *`,
    [principals, reason, now],
  );
  await auditTerminatedSessions(tx, ended.rows, { actor, reason, now });
  return ended.rows;
}

/**
 * Unassigns workstations of the organization — those assigned to `userId` (on `licenseId` when given), or
 * the one named `name`: no assignee, stopped, the sessions admitted through them ended with `reason`.
 * Audited per workstation.
 */
export async function unassignWorkstations(
  tx: Queryable,
  where: { organization: string; licenseId?: string; userId?: string; name?: string },
  actor: string,
  now: Date,
  reason: string,
): Promise<ClusterFollowUp> {
  if (!where.userId && !where.name)
    throw new Error("unassignWorkstations needs a user or a workstation name");
  const rows = await tx.query<AssignmentRow & { previous_assignee: string }>(
    `WITH old AS (
       SELECT name, assignee_user_id FROM provisioned_workstations
        WHERE namespace = $1 AND assignee_user_id IS NOT NULL AND ($2::uuid IS NULL OR assignee_user_id = $2)
          AND ($3::uuid IS NULL OR license_id = $3) AND ($4::text IS NULL OR name = $4)
        FOR UPDATE)
     UPDATE provisioned_workstations w SET assignee_user_id = NULL, desired_state = 'Stopped'
       FROM old WHERE w.name = old.name
     RETURNING w.name, w.namespace, w.license_id, w.assignee_user_id, w.desired_state,
               w.removal_requested_at, old.assignee_user_id AS previous_assignee`,
    [where.organization, where.userId ?? null, where.licenseId ?? null, where.name ?? null],
  );
  for (const ws of rows.rows) {
    await recordAudit(tx, {
      at: now,
      actor,
      action: "workstation.unassigned",
      licenseId: ws.license_id,
      before: { workstation: ws.name, assigneeUserId: ws.previous_assignee },
      after: { workstation: ws.name, assigneeUserId: null, desiredState: "Stopped" },
      details: { reason },
    });
  }
  const ended = await endWorkstationSessions(tx, rows.rows, reason, actor, now);
  return {
    ...emptyFollowUp(),
    endedSessions: ended,
    licenseIds: [...new Set(rows.rows.map((r) => r.license_id))],
  };
}

/** Assigns the workstation to a member of its organization (moving it from its previous assignee). */
export async function assignWorkstation(
  tx: Queryable,
  input: { organization: string; name: string; userId: string; actor: string; now: Date },
): Promise<ClusterFollowUp> {
  const ws = await lockWorkstation(tx, input.organization, input.name);
  refuseWhenBeingRemoved(ws);
  const user = await memberOrThrow(tx, input.organization, input.userId);
  if (ws.assignee_user_id === user.id) return { ...emptyFollowUp(), licenseIds: [ws.license_id] };
  await tx.query(
    "UPDATE provisioned_workstations SET assignee_user_id = $2, desired_state = 'Running' WHERE name = $1",
    [ws.name, user.id],
  );
  await recordAudit(tx, {
    at: input.now,
    actor: input.actor,
    action: "workstation.assigned",
    licenseId: ws.license_id,
    before: { workstation: ws.name, assigneeUserId: ws.assignee_user_id, desiredState: ws.desired_state },
    after: { workstation: ws.name, assigneeUserId: user.id, email: user.email, desiredState: "Running" },
  });
  const ended = ws.assignee_user_id
    ? await endWorkstationSessions(tx, [ws], WORKSTATION_REASSIGNED_REASON, input.actor, input.now)
    : [];
  return { ...emptyFollowUp(), endedSessions: ended, licenseIds: [ws.license_id] };
}

/** Unassigns one workstation (idempotent): nobody has access, stopped. */
export async function unassignWorkstation(
  tx: Queryable,
  input: { organization: string; name: string; actor: string; now: Date },
): Promise<ClusterFollowUp> {
  const ws = await lockWorkstation(tx, input.organization, input.name);
  const followUp = await unassignWorkstations(
    tx,
    { organization: input.organization, name: ws.name },
    input.actor,
    input.now,
    WORKSTATION_UNASSIGNED_REASON,
  );
  return { ...followUp, licenseIds: [ws.license_id] };
}

/**
 * Whether the caller may start or stop this workstation (pure): admins and owners any of the organization's,
 * a member only the one assigned to them, a viewer none.
 */
export function mayChangePower(
  caller: { userId: string; role: Role },
  ws: Pick<AssignmentRow, "assignee_user_id">,
): boolean {
  if (roleAtLeast(caller.role, "admin")) return true;
  return caller.role === "member" && ws.assignee_user_id === caller.userId;
}

/** Sets the workstation's desired state (start/stop); idempotent. */
export async function setDesiredState(
  tx: Queryable,
  input: {
    organization: string;
    name: string;
    state: "Running" | "Stopped";
    caller: { userId: string; role: Role };
    actor: string;
    now: Date;
  },
): Promise<ClusterFollowUp> {
  const ws = await lockWorkstation(tx, input.organization, input.name);
  if (!mayChangePower(input.caller, ws)) {
    throw new ApiError(
      403,
      "forbidden",
      `only the workstation's assignee or an admin may start or stop ${ws.name}; you are a ${input.caller.role}`,
    );
  }
  if (input.state === "Running") refuseWhenBeingRemoved(ws);
  if (ws.desired_state !== input.state) {
    await tx.query("UPDATE provisioned_workstations SET desired_state = $2 WHERE name = $1", [
      ws.name,
      input.state,
    ]);
    await recordAudit(tx, {
      at: input.now,
      actor: input.actor,
      action: input.state === "Running" ? "workstation.started" : "workstation.stopped",
      licenseId: ws.license_id,
      before: { workstation: ws.name, desiredState: ws.desired_state },
      after: { workstation: ws.name, desiredState: input.state },
    });
  }
  return { ...emptyFollowUp(), licenseIds: [ws.license_id] };
}
