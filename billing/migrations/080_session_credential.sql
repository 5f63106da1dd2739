-- Which credential admitted a container session (issue 13 §8, docs/adr/0170): rotating a license key ends
-- the sessions validated with the old key at once, but not those validated through a workstation's
-- identity token, which never held the key. Rows from before this column are NULL and are treated as
-- key-bound (a rotation ends them): failing closed costs at most one re-validation.
ALTER TABLE container_sessions
  ADD COLUMN credential text CHECK (credential IN ('license_key', 'workstation_identity'));
