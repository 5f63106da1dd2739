-- Rate-limit windows shared by every billing replica (issue 13 §5, ADR 0160). One row per (limiter, key):
-- the current fixed window's end and how many requests it counted. One UPSERT per request counts and
-- decides (billing/sessions/rate-limit-postgres.ts); finished windows are deleted in bounded batches by the
-- retention sweep (billing/ops/retention.ts), so the table holds about one row per key active in the last
-- minute or two. Keys are bounded values (hashes, validated ids, client IPs), never raw request input.
CREATE TABLE rate_limit_windows (
  limiter text NOT NULL CHECK (length(limiter) BETWEEN 1 AND 64),
  key text NOT NULL CHECK (length(key) BETWEEN 1 AND 200),
  window_ends_at timestamptz NOT NULL,
  count integer NOT NULL CHECK (count >= 1),
  PRIMARY KEY (limiter, key)
);

-- The sweep deletes finished windows oldest first.
CREATE INDEX rate_limit_windows_ends_idx ON rate_limit_windows (window_ends_at);
