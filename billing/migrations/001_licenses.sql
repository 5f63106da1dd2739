-- Licenses: one row per license. The decision inputs (Stripe subscription facts, dunning, refunds, admin
-- actions) are stored next to the decided state, so the state can be recomputed at any time
-- (billing/licenses/state.ts). The license key is stored only as its SHA-256 hash.
CREATE TABLE licenses (
  id uuid PRIMARY KEY,
  organization text NOT NULL
    CHECK (organization ~ '^[a-z0-9]([-a-z0-9]*[a-z0-9])?$' AND length(organization) <= 63),
  tier text NOT NULL CHECK (tier IN ('starter', 'pro', 'enterprise')),
  state text NOT NULL CHECK (state IN ('active', 'pastDue', 'suspended', 'expired', 'revoked')),
  state_reason text NOT NULL,
  expiring_soon boolean NOT NULL DEFAULT false,
  -- Effective limits (tier default or admin override); NULL max_containers = unlimited.
  max_containers integer CHECK (max_containers IS NULL OR max_containers >= 0),
  seats integer NOT NULL CHECK (seats >= 1),
  -- Effective end of the entitlement (period end or admin extension); NULL = never (internal).
  expires_at timestamptz,
  grace_ends_at timestamptz,
  key_hash text UNIQUE,
  key_issued_at timestamptz,
  provisioning_type text NOT NULL CHECK (provisioning_type IN ('paid', 'pilot', 'trial', 'comp', 'internal')),
  workstation_tier text CHECK (workstation_tier IN ('standard', 'power', 'ai')),
  customer_email text NOT NULL,
  notes text,
  created_by text NOT NULL,
  -- Inputs from Stripe (paid licenses only), always refetched from Stripe, never taken from event order.
  stripe_customer_id text,
  stripe_subscription_id text UNIQUE,
  stripe_checkout_session_id text UNIQUE,
  subscription_status text,
  cancel_at_period_end boolean NOT NULL DEFAULT false,
  period_end timestamptz,
  purchased_seats integer NOT NULL CHECK (purchased_seats >= 1),
  dunning_since timestamptz,
  failed_payment_attempts integer NOT NULL DEFAULT 0,
  refunded_at timestamptz,
  -- Inputs from admins.
  admin_revoked_at timestamptz,
  admin_suspended_at timestamptz,
  extended_until timestamptz,
  seats_override integer CHECK (seats_override IS NULL OR seats_override >= 1),
  -- -1 = unlimited (seed 000:1035), NULL = no override.
  max_containers_override integer CHECK (max_containers_override IS NULL OR max_containers_override >= -1),
  created_at timestamptz NOT NULL,
  updated_at timestamptz NOT NULL
);

CREATE INDEX licenses_organization_idx ON licenses (organization);
CREATE INDEX licenses_state_idx ON licenses (state);
CREATE INDEX licenses_stripe_customer_idx ON licenses (stripe_customer_id);
