/**
 * Issue 13 L3 (ADR 0166): the audit table is owned by the migration role; the role billing serves as may
 * only INSERT and SELECT it. Real PostgreSQL, two login roles as in production: a migration role that owns
 * the schema (CREATEROLE, like Cloud SQL's built-in users) and a runtime login made a member of
 * billing_runtime by `npm run migrate -- --runtime-user`.
 */
import { randomBytes } from "node:crypto";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { testDatabase } from "../../test-support/postgres/index.js";
import { recordAudit } from "../audit.js";
import { grantRuntimeRole, migrate, pendingMigrations } from "./migrate.js";
import { ensureRuntimeLogin, scramVerifier } from "./runtime-login.js";

const asRole = (url: string, role: string) => {
  const u = new URL(url);
  u.username = role;
  return u.toString();
};

describe("the runtime role and the audit log (issue 13 L3)", () => {
  const suffix = randomBytes(4).toString("hex");
  const migrator = `billing_migrator_${suffix}`;
  const runtime = `billing_app_${suffix}`;
  let admin: pg.Client;
  let migratorPool: pg.Pool;
  let runtimePool: pg.Pool;

  beforeAll(async () => {
    const url = await testDatabase("billing_roles");
    const database = new URL(url).pathname.slice(1);
    admin = new pg.Client({ connectionString: url });
    await admin.connect();
    await admin.query(`CREATE ROLE ${migrator} LOGIN CREATEROLE`);
    await admin.query(`ALTER DATABASE "${database}" OWNER TO ${migrator}`);
    await admin.query(`ALTER SCHEMA public OWNER TO ${migrator}`);
    await admin.query(`CREATE ROLE ${runtime} LOGIN`);
    migratorPool = new pg.Pool({ connectionString: asRole(url, migrator), max: 1 });
    runtimePool = new pg.Pool({ connectionString: asRole(url, runtime), max: 1 });
    await migrate(migratorPool);
    await grantRuntimeRole(migratorPool, runtime);
  });
  afterAll(async () => {
    await runtimePool?.end();
    await migratorPool?.end();
    await admin?.query(`DROP OWNED BY ${runtime}`).catch(() => undefined);
    await admin?.end();
  });

  it("the runtime role appends to and reads the audit log", async () => {
    await recordAudit(runtimePool, {
      actor: "alice@coditect.example",
      action: "license.revoked",
      licenseId: null,
      before: null,
      after: null,
      at: new Date(),
    });
    const rows = await runtimePool.query("SELECT actor FROM audit_events WHERE action = 'license.revoked'");
    expect(rows.rows).toEqual([{ actor: "alice@coditect.example" }]);
  });

  it.each([
    ["UPDATE the audit log", "UPDATE audit_events SET actor = 'someone else'"],
    ["DELETE from the audit log", "DELETE FROM audit_events"],
    ["TRUNCATE the audit log", "TRUNCATE audit_events"],
    [
      "disable the audit log's append-only trigger",
      "ALTER TABLE audit_events DISABLE TRIGGER audit_events_append_only",
    ],
    ["drop the audit log's trigger", "DROP TRIGGER audit_events_append_only ON audit_events"],
    ["drop the audit table", "DROP TABLE audit_events"],
  ])("the runtime role cannot %s: permission denied, not only the trigger", async (_what, sql) => {
    await expect(runtimePool.query(sql)).rejects.toMatchObject({ code: "42501" });
    const count = await migratorPool.query("SELECT count(*)::int AS n FROM audit_events");
    expect(count.rows[0].n).toBeGreaterThan(0);
  });

  it("the runtime role does everything else billing does: reads, writes and locks the other tables", async () => {
    const tables = await migratorPool.query<{ table: string; select: boolean; update: boolean }>(
      `SELECT tablename AS table,
              has_table_privilege($1, format('public.%I', tablename), 'SELECT') AS select,
              has_table_privilege($1, format('public.%I', tablename), 'UPDATE') AS update
         FROM pg_tables WHERE schemaname = 'public' ORDER BY tablename`,
      [runtime],
    );
    for (const t of tables.rows) {
      expect(t.select, `${t.table} SELECT`).toBe(true);
      const writable = t.table !== "audit_events" && t.table !== "schema_migrations";
      expect(t.update, `${t.table} UPDATE`).toBe(writable);
    }
    await runtimePool.query("BEGIN");
    await runtimePool.query("SELECT id FROM licenses FOR UPDATE");
    await runtimePool.query("COMMIT");
    // DATABASE_MIGRATIONS=verify: the runtime reads the ledger but cannot write it or migrate.
    expect(await pendingMigrations(runtimePool)).toEqual([]);
    await expect(
      runtimePool.query("INSERT INTO schema_migrations (version, name) VALUES (999, 'x')"),
    ).rejects.toMatchObject({ code: "42501" });
    await expect(runtimePool.query("CREATE TABLE sneaky (id int)")).rejects.toMatchObject({ code: "42501" });
  });

  it("tables a later migration creates get the runtime grants too (default privileges)", async () => {
    await migratorPool.query("CREATE TABLE later_feature (id bigserial PRIMARY KEY, note text)");
    await runtimePool.query("INSERT INTO later_feature (note) VALUES ('ok')");
    expect((await runtimePool.query("SELECT note FROM later_feature")).rows).toEqual([{ note: "ok" }]);
  });

  it("the migration step creates the runtime login: a plain role, member of billing_runtime, idempotent", async () => {
    const login = `billing_login_${suffix}`;
    await ensureRuntimeLogin(migratorPool, login, "first-password");
    await ensureRuntimeLogin(migratorPool, login, "second-password");
    const role = await admin.query(
      `SELECT rolcanlogin, rolcreaterole, rolcreatedb, rolsuper,
              pg_has_role(rolname, 'billing_runtime', 'MEMBER') AS runtime,
              pg_has_role(rolname, $2, 'MEMBER') AS migrator
         FROM pg_roles WHERE rolname = $1`,
      [login, migrator],
    );
    expect(role.rows[0]).toEqual({
      rolcanlogin: true,
      rolcreaterole: false,
      rolcreatedb: false,
      rolsuper: false,
      runtime: true,
      migrator: false,
    });
    // Only a verifier reached the server, and it is the one PostgreSQL computes for that password.
    const stored = (await admin.query("SELECT rolpassword FROM pg_authid WHERE rolname = $1", [login]))
      .rows[0].rolpassword as string;
    const [, iterations, salt] = /^SCRAM-SHA-256\$(\d+):([^$]+)\$/.exec(stored) ?? [];
    expect(scramVerifier("second-password", Buffer.from(salt!, "base64"), Number(iterations))).toBe(stored);
    await admin.query(`SET password_encryption = 'scram-sha-256'`);
    await admin.query(`ALTER ROLE ${login} PASSWORD 'second-password'`);
    const byServer = (await admin.query("SELECT rolpassword FROM pg_authid WHERE rolname = $1", [login]))
      .rows[0].rolpassword as string;
    const [, i2, s2] = /^SCRAM-SHA-256\$(\d+):([^$]+)\$/.exec(byServer) ?? [];
    expect(scramVerifier("second-password", Buffer.from(s2!, "base64"), Number(i2))).toBe(byServer);
    await admin.query(`DROP OWNED BY ${login}`);
    await admin.query(`DROP ROLE ${login}`);
  });

  it("why production splits the roles: the role that migrated owns the table and can rewrite history", async () => {
    // One role for both (npm start on PGlite, and production before ADR 0166): the owner turns the
    // trigger off and rewrites the log. The runtime role above cannot.
    await migratorPool.query("BEGIN");
    await migratorPool.query("ALTER TABLE audit_events DISABLE TRIGGER audit_events_append_only");
    const rewritten = await migratorPool.query("UPDATE audit_events SET actor = 'nobody'");
    expect(rewritten.rowCount).toBeGreaterThan(0);
    await migratorPool.query("ROLLBACK");
  });
});
