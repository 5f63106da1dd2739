/**
 * Versioned SQL migrations: billing/migrations/NNN_name.sql, applied in numeric order, each in its own
 * transaction, recorded in schema_migrations. Any number is accepted (billing owns 001–049, the sessions
 * API 050–099), so both areas add files without touching this runner. An advisory lock serialises
 * concurrent starts.
 */
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import pg from "pg";
import type { Db } from "../deps.js";

/**
 * Where the SQL files are, seen from this module's directory: billing/migrations in the source tree
 * (this file is billing/db/migrate.ts); `migrations/` next to the bundle in the image (/app/billing.mjs,
 * /app/migrations: billing/Dockerfile copies them there).
 */
export function findMigrationsDir(moduleDir: string): string {
  const candidates = [join(moduleDir, "..", "migrations"), join(moduleDir, "migrations")];
  // A directory counts only if it holds migrations: an empty `migrations/` elsewhere (e.g. a stray mount
  // point) must not shadow the real one and leave billing starting on an unmigrated database.
  return (
    candidates.find((dir) => existsSync(dir) && readdirSync(dir).some((f) => f.endsWith(".sql"))) ??
    candidates[0]!
  );
}

export const MIGRATIONS_DIR = findMigrationsDir(dirname(fileURLToPath(import.meta.url)));
const FILE_PATTERN = /^(\d{3})_([a-z0-9_]+)\.sql$/;
/** Arbitrary constant identifying "billing migrations" among advisory locks. */
const MIGRATION_LOCK_KEY = 730_214_001;

export interface Migration {
  version: number;
  name: string;
  sql: string;
}

/** Reads and orders the migration files; throws on a malformed name or a duplicate version. */
export function readMigrations(dir: string = MIGRATIONS_DIR): Migration[] {
  const migrations: Migration[] = [];
  const seen = new Map<number, string>();
  if (!existsSync(dir)) {
    throw new Error(`migrations directory ${dir} does not exist (the image must ship billing/migrations)`);
  }
  for (const file of readdirSync(dir).sort()) {
    if (!file.endsWith(".sql")) continue;
    const match = FILE_PATTERN.exec(file);
    if (!match) {
      throw new Error(`migration file "${file}" in ${dir} must be named NNN_snake_case.sql`);
    }
    const version = Number(match[1]);
    const previous = seen.get(version);
    if (previous) throw new Error(`migrations "${previous}" and "${file}" share version ${version}`);
    seen.set(version, file);
    migrations.push({ version, name: match[2]!, sql: readFileSync(join(dir, file), "utf8") });
  }
  if (migrations.length === 0) {
    throw new Error(
      `migrations directory ${dir} holds no NNN_name.sql file (the image must ship billing/migrations)`,
    );
  }
  return migrations.sort((a, b) => a.version - b.version);
}

/** Applies every migration not yet recorded. Returns the versions applied by this call. */
export async function migrate(db: Db, dir: string = MIGRATIONS_DIR): Promise<number[]> {
  const migrations = readMigrations(dir);
  const client = await db.connect();
  const applied: number[] = [];
  try {
    await client.query("SELECT pg_advisory_lock($1)", [MIGRATION_LOCK_KEY]);
    await client.query(
      `CREATE TABLE IF NOT EXISTS schema_migrations (
         version integer PRIMARY KEY, name text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())`,
    );
    const done = new Set(
      (await client.query<{ version: number }>("SELECT version FROM schema_migrations")).rows.map(
        (r) => r.version,
      ),
    );
    for (const migration of migrations) {
      if (done.has(migration.version)) continue;
      try {
        await client.query("BEGIN");
        await client.query(migration.sql);
        await client.query("INSERT INTO schema_migrations (version, name) VALUES ($1, $2)", [
          migration.version,
          migration.name,
        ]);
        await client.query("COMMIT");
        applied.push(migration.version);
      } catch (err) {
        await client.query("ROLLBACK");
        throw new Error(
          `migration ${String(migration.version).padStart(3, "0")}_${migration.name} failed: ${(err as Error).message}`,
          { cause: err },
        );
      }
    }
  } finally {
    await client.query("SELECT pg_advisory_unlock($1)", [MIGRATION_LOCK_KEY]).catch(() => undefined);
    client.release();
  }
  return applied;
}

/**
 * The role billing's runtime login must be a member of (migration 070, ADR 0166): the grants of a running
 * service, with the audit log append-only and the migration ledger read-only.
 */
export const RUNTIME_ROLE = "billing_runtime";

/**
 * Makes `user` (billing's runtime login) a member of RUNTIME_ROLE. Run by the migration role after
 * migrating (`npm run migrate -- --runtime-user billing`); the migration role needs CREATEROLE or ADMIN
 * OPTION on the role (Cloud SQL's built-in users have it).
 */
export async function grantRuntimeRole(db: Db, user: string): Promise<void> {
  await db.query(`GRANT ${pg.escapeIdentifier(RUNTIME_ROLE)} TO ${pg.escapeIdentifier(user)}`);
}

/**
 * Versions of the migration files the database has not applied. For a service that does not migrate
 * itself (DATABASE_MIGRATIONS=verify): it refuses to serve an older schema than its code expects.
 */
export async function pendingMigrations(db: Db, dir: string = MIGRATIONS_DIR): Promise<number[]> {
  const exists = await db.query<{ present: boolean }>(
    "SELECT to_regclass('schema_migrations') IS NOT NULL AS present",
  );
  const done = new Set<number>();
  if (exists.rows[0]?.present) {
    const rows = await db.query<{ version: number }>("SELECT version FROM schema_migrations");
    for (const r of rows.rows) done.add(r.version);
  }
  return readMigrations(dir)
    .map((m) => m.version)
    .filter((v) => !done.has(v));
}
