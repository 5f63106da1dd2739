-- Ledger of Stripe webhook events, keyed by the event id: a delivery whose id is already here is a
-- duplicate and is acknowledged without effect. A row is written in the same transaction as the effect.
CREATE TABLE stripe_events (
  id text PRIMARY KEY,
  type text NOT NULL,
  -- Stripe's event.created (when Stripe generated it) and when we processed it.
  created_at timestamptz NOT NULL,
  processed_at timestamptz NOT NULL,
  object_id text,
  outcome text NOT NULL
);
CREATE INDEX stripe_events_type_idx ON stripe_events (type);
