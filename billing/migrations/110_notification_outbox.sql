-- The notification outbox (issue 16 §3, docs/adr/0210): a message row is inserted in the same transaction
-- as the change that causes it, so a rolled-back change sends nothing and a committed one is never lost.
-- The sender (billing/notifications/sender.ts) claims rows with FOR UPDATE SKIP LOCKED on every replica.
-- `data` holds template inputs only: never a license key or any other secret (tests check every message).
CREATE TABLE notification_outbox (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  kind text NOT NULL CHECK (length(kind) BETWEEN 1 AND 64),
  recipient text NOT NULL CHECK (length(recipient) BETWEEN 3 AND 320),
  license_id uuid NULL,
  data jsonb NOT NULL DEFAULT '{}'::jsonb,
  -- Once per cause: e.g. `license.expiring:<license>:7d:<expiry>`; a second enqueue with the same key is a no-op.
  dedupe_key text NULL UNIQUE CHECK (length(dedupe_key) <= 300),
  state text NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'sent', 'failed')),
  attempts int NOT NULL DEFAULT 0 CHECK (attempts >= 0),
  next_attempt_at timestamptz NOT NULL,
  last_error text NULL CHECK (length(last_error) <= 1000),
  created_at timestamptz NOT NULL,
  sent_at timestamptz NULL
);
-- The sender's claim: the oldest due pending rows.
CREATE INDEX notification_outbox_due ON notification_outbox (next_attempt_at, id) WHERE state = 'pending';
CREATE INDEX notification_outbox_failed ON notification_outbox (id) WHERE state = 'failed';
