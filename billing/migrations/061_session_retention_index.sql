-- The retention sweep (billing/ops/retention.ts, ADR 0162) finds sessions that ended by silence — still
-- 'active' in Postgres, last heartbeat older than the offline grace — by heartbeat time across licenses.
-- Released, terminated and expired sessions are found through container_sessions_ended_idx (050).
CREATE INDEX container_sessions_silent_idx ON container_sessions (last_heartbeat_at) WHERE state = 'active';
