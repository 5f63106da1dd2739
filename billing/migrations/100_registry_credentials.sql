-- Issue 15 (ADR 0202): every registry credential billing hands out, without the token itself: who got it,
-- for which tier and repositories, and until when. A license that stops entitling gets no new credential;
-- the ones already issued end at expires_at, and the revocation's audit event records how many were still
-- valid (counted from this table). Rows older than a day are useless (credentials last ≤ 1 h) and may be
-- deleted by retention.
CREATE TABLE registry_credentials (
  id uuid PRIMARY KEY,
  license_id uuid NOT NULL REFERENCES licenses (id) ON DELETE CASCADE,
  kind text NOT NULL CHECK (kind IN ('docker-token', 'google-access-token')),
  tier text NOT NULL,
  repositories text[] NOT NULL,
  client_ip text,
  issued_at timestamptz NOT NULL,
  expires_at timestamptz NOT NULL
);
CREATE INDEX registry_credentials_license_expiry ON registry_credentials (license_id, expires_at);
