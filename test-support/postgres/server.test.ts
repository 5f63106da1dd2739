import pg from "pg";
import { describe, expect, it } from "vitest";
import { testDatabase } from "./index.js";

describe("test PostgreSQL harness", () => {
  it("gives each caller a separate real database with working row locks", async () => {
    const [urlA, urlB] = await Promise.all([testDatabase("a"), testDatabase("b")]);
    expect(urlA).not.toEqual(urlB);
    const pool = new pg.Pool({ connectionString: urlA, max: 2 });
    try {
      await pool.query("CREATE TABLE seat (id int PRIMARY KEY)");
      await pool.query("INSERT INTO seat VALUES (1)");
      const holder = await pool.connect();
      const waiter = await pool.connect();
      try {
        await holder.query("BEGIN");
        await holder.query("SELECT * FROM seat WHERE id = 1 FOR UPDATE");
        await waiter.query("BEGIN");
        await expect(waiter.query("SELECT * FROM seat WHERE id = 1 FOR UPDATE NOWAIT")).rejects.toMatchObject(
          {
            code: "55P03",
          },
        );
        await waiter.query("ROLLBACK");
        await holder.query("COMMIT");
      } finally {
        holder.release();
        waiter.release();
      }
    } finally {
      await pool.end();
    }
  });
});
