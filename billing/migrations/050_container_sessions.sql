-- Container sessions (the sessions API, billing/sessions). One row per licensed container session; a row
-- holds a seat while state = 'active' AND last_heartbeat_at is within the last 30 minutes. Seats are
-- counted in SQL under the license row lock (SELECT … FOR UPDATE), never in application memory.
-- The session token is stored only as its SHA-256 hash (it is 256 random bits).
CREATE TABLE container_sessions (
  id uuid PRIMARY KEY,
  license_id uuid NOT NULL REFERENCES licenses (id) ON DELETE CASCADE,
  organization text NOT NULL,
  container_id text NOT NULL CHECK (length(container_id) BETWEEN 1 AND 128),
  container_type text NOT NULL CHECK (container_type IN ('docker', 'workstation')),
  hostname text CHECK (length(hostname) <= 253),
  ip text CHECK (length(ip) <= 45),
  token_hash text NOT NULL UNIQUE,
  state text NOT NULL CHECK (state IN ('active', 'expired', 'released', 'terminated')),
  reason text,
  max_users integer NOT NULL DEFAULT 1 CHECK (max_users BETWEEN 1 AND 1000),
  -- Name of the ContainerSession resource (in the organization's namespace); NULL without a cluster.
  resource_name text,
  last_report jsonb,
  created_at timestamptz NOT NULL,
  last_heartbeat_at timestamptz NOT NULL,
  ended_at timestamptz,
  CHECK ((state = 'active') = (ended_at IS NULL))
);

-- The seat count: live sessions of one license.
CREATE INDEX container_sessions_live_idx ON container_sessions (license_id, last_heartbeat_at)
  WHERE state = 'active';
-- A container id holds at most one active session per license (a restarted container replaces it).
CREATE UNIQUE INDEX container_sessions_one_active_per_container ON container_sessions (license_id, container_id)
  WHERE state = 'active';
CREATE INDEX container_sessions_ended_idx ON container_sessions (ended_at) WHERE ended_at IS NOT NULL;

-- Users joined to a multi-user container session (at most its max_users at once).
CREATE TABLE container_session_users (
  session_id uuid NOT NULL REFERENCES container_sessions (id) ON DELETE CASCADE,
  user_email text NOT NULL CHECK (length(user_email) <= 254),
  joined_at timestamptz NOT NULL,
  PRIMARY KEY (session_id, user_email)
);
