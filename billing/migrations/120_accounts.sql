-- Issue 16 §1: the people side. An organization (its slug is the Kubernetes namespace licenses already name)
-- has members with a role; people are invited by email; a license's seats are assigned to members; a
-- purchased workstation is assigned to one member at a time. Customers sign in (Google ID token or an email
-- magic link) into a server-side session. Every token here (invitation, magic link, session, CSRF) is random,
-- shown once and stored only as its SHA-256 hash.

-- One row per person billing knows, by email (lower-cased by the application; the unique index enforces it).
CREATE TABLE users (
  id uuid PRIMARY KEY,
  email text NOT NULL CHECK (length(email) BETWEEN 3 AND 320 AND email = lower(email)),
  -- Set when the person proved they read mail at this address (magic link, invitation link) or signed in
  -- with a Google ID token whose email_verified is true.
  email_verified_at timestamptz,
  created_at timestamptz NOT NULL,
  last_sign_in_at timestamptz
);
CREATE UNIQUE INDEX users_email_key ON users (email);

-- One row per organization; the slug is licenses.organization (and the namespace). The owner is the person
-- who bought first (or whom an admin named); ownership is also a membership row with role 'owner'.
CREATE TABLE organizations (
  slug text PRIMARY KEY
    CHECK (slug ~ '^[a-z0-9]([-a-z0-9]*[a-z0-9])?$' AND length(slug) <= 63),
  owner_user_id uuid NOT NULL REFERENCES users (id),
  created_at timestamptz NOT NULL
);

CREATE TABLE memberships (
  organization text NOT NULL REFERENCES organizations (slug) ON DELETE CASCADE,
  user_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  role text NOT NULL CHECK (role IN ('owner', 'admin', 'member', 'viewer')),
  created_at timestamptz NOT NULL,
  PRIMARY KEY (organization, user_id)
);
CREATE INDEX memberships_user_idx ON memberships (user_id);

-- Invitations expire 7 days after they were (re)sent; a resend issues a new token (the old one stops working).
CREATE TABLE invitations (
  id uuid PRIMARY KEY,
  organization text NOT NULL REFERENCES organizations (slug) ON DELETE CASCADE,
  email text NOT NULL CHECK (length(email) BETWEEN 3 AND 320 AND email = lower(email)),
  role text NOT NULL CHECK (role IN ('admin', 'member', 'viewer')),
  inviter_user_id uuid NOT NULL REFERENCES users (id),
  token_hash text NOT NULL UNIQUE,
  state text NOT NULL CHECK (state IN ('pending', 'accepted', 'expired', 'revoked')),
  expires_at timestamptz NOT NULL,
  created_at timestamptz NOT NULL,
  sent_at timestamptz NOT NULL,
  accepted_at timestamptz,
  accepted_user_id uuid REFERENCES users (id),
  revoked_at timestamptz
);
-- At most one pending invitation per person and organization (a second invite is a resend).
CREATE UNIQUE INDEX invitations_pending_key ON invitations (organization, email) WHERE state = 'pending';

-- A license's `seats` is how many people may hold one of its seats (issue 16 §1).
CREATE TABLE seat_assignments (
  license_id uuid NOT NULL REFERENCES licenses (id) ON DELETE CASCADE,
  user_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  assigned_by text NOT NULL,
  assigned_at timestamptz NOT NULL,
  PRIMARY KEY (license_id, user_id)
);
CREATE INDEX seat_assignments_user_idx ON seat_assignments (user_id);

-- Workstations: who the workstation is assigned to (NULL = unassigned: nobody has access), whether its user
-- wants it running, and its removal (access removed and stopped at once, the resource deleted at delete_after).
ALTER TABLE provisioned_workstations
  ADD COLUMN assignee_user_id uuid REFERENCES users (id),
  ADD COLUMN desired_state text NOT NULL DEFAULT 'Running' CHECK (desired_state IN ('Running', 'Stopped')),
  ADD COLUMN removal_requested_at timestamptz,
  ADD COLUMN delete_after timestamptz;
CREATE INDEX provisioned_workstations_assignee_idx ON provisioned_workstations (assignee_user_id);

-- Customer sign-in: one-time magic links (15 minutes) and server-side sessions (the cookie holds the token).
CREATE TABLE magic_links (
  token_hash text PRIMARY KEY,
  email text NOT NULL CHECK (length(email) BETWEEN 3 AND 320 AND email = lower(email)),
  created_at timestamptz NOT NULL,
  expires_at timestamptz NOT NULL,
  used_at timestamptz
);
CREATE INDEX magic_links_expiry_idx ON magic_links (expires_at);

CREATE TABLE account_sessions (
  token_hash text PRIMARY KEY,
  user_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  -- The CSRF token of this session (synchronizer token: sent back in a header on every state change).
  csrf_hash text NOT NULL,
  method text NOT NULL CHECK (method IN ('google', 'magic_link', 'invitation')),
  created_at timestamptz NOT NULL,
  last_seen_at timestamptz NOT NULL,
  expires_at timestamptz NOT NULL,
  ended_at timestamptz
);
CREATE INDEX account_sessions_user_idx ON account_sessions (user_id);
CREATE INDEX account_sessions_expiry_idx ON account_sessions (expires_at);

-- Existing data: every license's customer becomes a user, every organization gets the customer of its
-- oldest license as owner, and every purchased workstation stays with the person it was made for.
INSERT INTO users (id, email, created_at)
SELECT gen_random_uuid(), e.email, min(e.created_at)
  FROM (SELECT lower(customer_email) AS email, created_at FROM licenses WHERE customer_email <> ''
        UNION ALL
        SELECT lower(user_email), created_at FROM provisioned_workstations) e
 GROUP BY e.email;

INSERT INTO organizations (slug, owner_user_id, created_at)
SELECT DISTINCT ON (l.organization) l.organization, u.id, l.created_at
  FROM licenses l JOIN users u ON u.email = lower(l.customer_email)
 ORDER BY l.organization, l.created_at, l.id;

INSERT INTO memberships (organization, user_id, role, created_at)
SELECT slug, owner_user_id, 'owner', created_at FROM organizations;

UPDATE provisioned_workstations w SET assignee_user_id = u.id FROM users u WHERE u.email = lower(w.user_email);
