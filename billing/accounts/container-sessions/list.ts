/**
 * GET …/container-sessions (issue 16 §1): the organization's container sessions — container id, host,
 * joined users, last heartbeat, state and reason — and how many are live (active with a heartbeat within
 * the session expiry, the seat count of the sessions API). Read-only; no token or key is ever shown.
 */
import { TIMING } from "../../../lib/domain.js";
import type { Queryable } from "../../db/queryable.js";
import { liveSince } from "../../sessions/decide.js";

export const SESSION_LIST_STATES = ["active", "ended", "all"] as const;
export type SessionListState = (typeof SESSION_LIST_STATES)[number];
/** The newest sessions shown; ended sessions are kept for the retention period only (ADR 0162) anyway. */
export const SESSION_LIST_LIMIT = 200;

export interface ContainerSessionView {
  id: string;
  licenseId: string;
  containerId: string;
  containerType: "docker" | "workstation";
  host: string | null;
  users: { user: string; joinedAt: string }[];
  maxUsers: number;
  state: string;
  reason: string | null;
  live: boolean;
  startedAt: string;
  lastHeartbeatAt: string;
  endedAt: string | null;
}

interface Row {
  id: string;
  license_id: string;
  container_id: string;
  container_type: "docker" | "workstation";
  hostname: string | null;
  max_users: number;
  state: string;
  reason: string | null;
  created_at: Date;
  last_heartbeat_at: Date;
  ended_at: Date | null;
  users: { user: string; joinedAt: string }[] | null;
}

export async function listContainerSessions(
  db: Queryable,
  organization: string,
  state: SessionListState,
  now: Date,
): Promise<{ live: number; sessions: ContainerSessionView[] }> {
  const since = liveSince(now, TIMING);
  const rows = await db.query<Row>(
    `SELECT s.id, s.license_id, s.container_id, s.container_type, s.hostname, s.max_users, s.state, s.reason,
            s.created_at, s.last_heartbeat_at, s.ended_at,
            (SELECT json_agg(json_build_object('user', cu.user_email, 'joinedAt', cu.joined_at)
                             ORDER BY cu.joined_at, cu.user_email)
               FROM container_session_users cu WHERE cu.session_id = s.id) AS users
       FROM container_sessions s
      WHERE s.organization = $1
        AND ($2 = 'all' OR ($2 = 'active') = (s.state = 'active'))
      ORDER BY s.created_at DESC, s.id
      LIMIT ${SESSION_LIST_LIMIT}`,
    [organization, state],
  );
  const live = await db.query<{ n: string }>(
    `SELECT count(*) AS n FROM container_sessions
      WHERE organization = $1 AND state = 'active' AND last_heartbeat_at >= $2`,
    [organization, since],
  );
  return {
    live: Number(live.rows[0]!.n),
    sessions: rows.rows.map((r) => ({
      id: r.id,
      licenseId: r.license_id,
      containerId: r.container_id,
      containerType: r.container_type,
      host: r.hostname,
      users: (r.users ?? []).map((u) => ({ user: u.user, joinedAt: new Date(u.joinedAt).toISOString() })),
      maxUsers: r.max_users,
      state: r.state,
      reason: r.reason,
      live: r.state === "active" && r.last_heartbeat_at.getTime() >= since.getTime(),
      startedAt: r.created_at.toISOString(),
      lastHeartbeatAt: r.last_heartbeat_at.toISOString(),
      endedAt: r.ended_at?.toISOString() ?? null,
    })),
  };
}
