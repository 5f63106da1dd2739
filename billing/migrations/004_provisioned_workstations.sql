-- Workstations billing asked the cluster for (one Workstation resource each). The name is derived from
-- the subscription item, so a retried webhook finds the row (and the resource) instead of making another.
CREATE TABLE provisioned_workstations (
  name text PRIMARY KEY CHECK (name ~ '^[a-z0-9]([-a-z0-9]*[a-z0-9])?$' AND length(name) <= 63),
  namespace text NOT NULL,
  license_id uuid NOT NULL REFERENCES licenses (id) ON DELETE CASCADE,
  tier text NOT NULL CHECK (tier IN ('standard', 'power', 'ai')),
  user_email text NOT NULL,
  stripe_subscription_id text,
  stripe_subscription_item_id text,
  created_at timestamptz NOT NULL
);
CREATE INDEX provisioned_workstations_license_idx ON provisioned_workstations (license_id);
