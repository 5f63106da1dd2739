-- When the container's continuous online run began (issue 13 §7, ADR 0158): the offline grace is earned,
-- min(tier grace, max(30 min, last heartbeat − online_since)). A validate that replaces the same
-- container's still-live session from the same principal (token renewal, agent restart) inherits it; a new
-- container, or one whose session expired or ended, starts at its validate; a re-admission restarts it.
-- Nullable so that rows an older replica inserts during a rolling deploy stay valid: billing reads NULL as
-- created_at. Existing rows start at their validate.
ALTER TABLE container_sessions ADD COLUMN online_since timestamptz;
UPDATE container_sessions SET online_since = created_at;
