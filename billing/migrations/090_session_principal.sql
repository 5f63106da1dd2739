-- Who started a container session (issue 13 §1, ADR 0151): `key:<sha256 of the license key>` or
-- `workstation:<namespace>/<name>`. A validate may replace the active session of its container id only
-- when it comes from the same principal; anyone else gets 409 and the running session is untouched.
-- Sessions from before this migration have NULL and are replaced as before.
ALTER TABLE container_sessions ADD COLUMN principal text CHECK (length(principal) <= 320);
