-- Checkout reveal nonces (issue 13 §9, docs/adr/0171): the browser that started a checkout holds a random
-- nonce in a cookie; only its SHA-256 hash is stored, with the Checkout Session it belongs to. The key can
-- be revealed once, by a POST carrying the nonce, until 24 h after the purchase.
CREATE TABLE checkout_reveal_nonces (
  checkout_session_id text PRIMARY KEY CHECK (length(checkout_session_id) BETWEEN 4 AND 255),
  nonce_hash text NOT NULL CHECK (length(nonce_hash) = 64),
  created_at timestamptz NOT NULL
);
