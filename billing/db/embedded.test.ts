/** The zero-setup default: PGlite served to `pg`, migrated, and persisted across restarts. */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pg from "pg";
import { afterAll, describe, expect, it } from "vitest";
import { startEmbeddedPostgres } from "./embedded.js";
import { migrate } from "./migrate.js";

describe("embedded PGlite", () => {
  const dir = mkdtempSync(join(tmpdir(), "billing-pglite-"));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("runs the migrations and keeps data across restarts", async () => {
    const first = await startEmbeddedPostgres(dir);
    const pool = new pg.Pool({ connectionString: first.url, max: 1 });
    try {
      expect((await migrate(pool)).length).toBeGreaterThanOrEqual(4);
      await pool.query(
        "INSERT INTO audit_events (at, actor, action) VALUES (now(), 'test', 'embedded.persisted')",
      );
    } finally {
      await pool.end();
      await first.stop();
    }
    const second = await startEmbeddedPostgres(dir);
    const again = new pg.Pool({ connectionString: second.url, max: 1 });
    try {
      expect(await migrate(again)).toEqual([]);
      const rows = await again.query("SELECT action FROM audit_events");
      expect(rows.rows).toEqual([{ action: "embedded.persisted" }]);
    } finally {
      await again.end();
      await second.stop();
    }
  }, 120_000);
});
