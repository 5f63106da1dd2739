-- Issue 13 L3 (ADR 0166): the role billing serves requests as may only INSERT and SELECT the audit log.
-- Migrations run as the migration role, which owns every table; billing's runtime login is a member of
-- billing_runtime and gets the grants below and nothing else: it cannot UPDATE, DELETE or TRUNCATE
-- audit_events, nor disable the append-only trigger or drop the table (only an owner can).
-- Where one role does both (npm start on PGlite, tests), these grants change nothing: that role owns the
-- tables (accepted for local runs; ADR 0166).
DO $$
BEGIN
  CREATE ROLE billing_runtime NOLOGIN;
EXCEPTION WHEN duplicate_object OR unique_violation THEN
  -- Roles belong to the server, not the database: another database on it may have created it already
  -- (unique_violation: at the same moment).
  NULL;
END
$$;

-- Tables created by later migrations get the same grants (default privileges of the migration role).
GRANT USAGE ON SCHEMA public TO billing_runtime;
GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO billing_runtime;
GRANT USAGE, SELECT, UPDATE ON ALL SEQUENCES IN SCHEMA public TO billing_runtime;
ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO billing_runtime;
ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT USAGE, SELECT, UPDATE ON SEQUENCES TO billing_runtime;

-- The audit log is append-only for the runtime; the migration ledger is read-only (billing checks at start
-- that the schema is current).
REVOKE UPDATE, DELETE, TRUNCATE ON audit_events FROM billing_runtime;
REVOKE INSERT, UPDATE, DELETE, TRUNCATE ON schema_migrations FROM billing_runtime;
