import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { testDatabase } from "../../test-support/postgres/index.js";
import { findMigrationsDir, migrate, readMigrations } from "./migrate.js";

describe("migrations", () => {
  let pool: pg.Pool;
  beforeAll(async () => {
    pool = new pg.Pool({ connectionString: await testDatabase("billing_migrate") });
  });
  afterAll(() => pool.end());

  it("applies every file in order once and records it", async () => {
    const applied = await migrate(pool);
    expect(applied).toEqual(readMigrations().map((m) => m.version));
    expect(applied.slice(0, 4)).toEqual([1, 2, 3, 4]);
    expect(await migrate(pool)).toEqual([]);
    const recorded = await pool.query("SELECT version FROM schema_migrations ORDER BY version");
    expect(recorded.rows.map((r) => r.version)).toEqual(applied);
  });

  it("keeps audit_events append-only", async () => {
    await pool.query("INSERT INTO audit_events (at, actor, action) VALUES (now(), 'test', 'test.action')");
    await expect(pool.query("UPDATE audit_events SET actor = 'x'")).rejects.toThrow(/append-only/);
    await expect(pool.query("DELETE FROM audit_events")).rejects.toThrow(/append-only/);
    await expect(pool.query("TRUNCATE audit_events")).rejects.toThrow(/append-only/);
  });

  it("rolls back a failing migration and names it", async () => {
    const dir = mkdtempSync(join(tmpdir(), "billing-migrations-"));
    writeFileSync(join(dir, "001_ok.sql"), "CREATE TABLE mig_ok (id int);");
    writeFileSync(
      join(dir, "002_broken.sql"),
      "CREATE TABLE mig_broken (id int); SELECT no_such_column FROM mig_ok;",
    );
    const other = new pg.Pool({ connectionString: await testDatabase("billing_migrate_fail") });
    try {
      await expect(migrate(other, dir)).rejects.toThrow(/002_broken failed/);
      const tables = await other.query(
        "SELECT to_regclass('mig_ok') AS ok, to_regclass('mig_broken') AS broken",
      );
      expect(tables.rows[0]).toEqual({ ok: "mig_ok", broken: null });
      const versions = await other.query("SELECT version FROM schema_migrations");
      expect(versions.rows).toEqual([{ version: 1 }]);
    } finally {
      await other.end();
    }
  });

  it("rejects badly named and duplicate migration files", () => {
    const bad = mkdtempSync(join(tmpdir(), "billing-migrations-"));
    writeFileSync(join(bad, "1_short.sql"), "");
    expect(() => readMigrations(bad)).toThrow(/NNN_snake_case/);
    const dup = mkdtempSync(join(tmpdir(), "billing-migrations-"));
    writeFileSync(join(dup, "005_a.sql"), "");
    writeFileSync(join(dup, "005_b.sql"), "");
    expect(() => readMigrations(dup)).toThrow(/share version 5/);
  });

  it("refuses an empty migrations directory and does not let one shadow the real directory", () => {
    const empty = mkdtempSync(join(tmpdir(), "billing-migrations-"));
    expect(() => readMigrations(empty)).toThrow(/holds no NNN_name\.sql file/);
    // The bundle looks in <moduleDir>/../migrations first, then <moduleDir>/migrations.
    const root = mkdtempSync(join(tmpdir(), "billing-layout-"));
    const moduleDir = join(root, "app");
    mkdirSync(join(root, "migrations"));
    mkdirSync(join(moduleDir, "migrations"), { recursive: true });
    writeFileSync(join(moduleDir, "migrations", "001_init.sql"), "SELECT 1;");
    expect(findMigrationsDir(moduleDir)).toBe(join(moduleDir, "migrations"));
  });
});
