/** The shared rate-limit windows (ADR 0160) on a real PostgreSQL: counting, windows, concurrency, cleanup. */
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ManualClock } from "../../lib/clock.js";
import { testDatabase } from "../../test-support/postgres/index.js";
import { migrate } from "../db/migrate.js";
import { deleteFinishedWindows, PostgresWindowStore } from "./rate-limit-postgres.js";

const rule = { limit: 3, windowMs: 60_000 };

describe("PostgresWindowStore", () => {
  let pool: pg.Pool;
  beforeAll(async () => {
    pool = new pg.Pool({ connectionString: await testDatabase("ratelimit"), max: 10 });
    await migrate(pool);
  });
  afterAll(() => pool.end());

  it("counts per (limiter, key), refuses over the limit with the window's remaining seconds, restarts after it", async () => {
    const clock = new ManualClock("2026-06-01T00:00:00Z");
    const store = new PostgresWindowStore(pool, clock);
    const charge = (key: string, limiter = "test_a") => ({ limiter, key, rule });
    for (let n = 0; n < 3; n++) expect(await store.take([charge("k")])).toEqual([{ allowed: true }]);
    clock.advance(15_000);
    expect(await store.take([charge("k")])).toEqual([{ allowed: false, retryAfterSeconds: 45 }]);
    // Another key, and the same key under another limiter, have their own windows.
    expect(await store.take([charge("other"), charge("k", "test_b")])).toEqual([
      { allowed: true },
      { allowed: true },
    ]);
    clock.advance(45_000);
    expect(await store.take([charge("k")])).toEqual([{ allowed: true }]);
  });

  it("loses no count under concurrency: 40 simultaneous requests of one key, exactly the limit pass", async () => {
    const clock = new ManualClock("2026-06-02T00:00:00Z");
    // Two stores on two pools: two replicas.
    const other = new pg.Pool({ connectionString: String(pool.options.connectionString), max: 10 });
    try {
      const stores = [new PostgresWindowStore(pool, clock), new PostgresWindowStore(other, clock)];
      const wide = { limit: 30, windowMs: 60_000 };
      const decisions = await Promise.all(
        Array.from({ length: 40 }, (_, n) =>
          stores[n % 2]!.take([{ limiter: "test_concurrent", key: "hot", rule: wide }]),
        ),
      );
      expect(decisions.flat().filter((d) => d.allowed)).toHaveLength(30);
    } finally {
      await other.end();
    }
  });

  it("deleteFinishedWindows removes only ended windows, in bounded batches", async () => {
    await pool.query("DELETE FROM rate_limit_windows"); // windows of the tests above would be due too
    const clock = new ManualClock("2026-06-03T00:00:00Z");
    const store = new PostgresWindowStore(pool, clock);
    for (let n = 0; n < 25; n++) await store.take([{ limiter: "test_sweep", key: `old-${n}`, rule }]);
    clock.advance(120_000);
    await store.take([{ limiter: "test_sweep", key: "current", rule }]);
    const count = async () =>
      (
        await pool.query<{ n: number }>(
          "SELECT count(*)::int AS n FROM rate_limit_windows WHERE limiter = 'test_sweep'",
        )
      ).rows[0]!.n;
    // One batch of 10: a pass is bounded even when more is due.
    expect(await deleteFinishedWindows(pool, clock.now(), 10, 1)).toBe(10);
    expect(await count()).toBe(16);
    expect(await deleteFinishedWindows(pool, clock.now(), 10, 5)).toBeGreaterThanOrEqual(15);
    expect(
      (await pool.query("SELECT key FROM rate_limit_windows WHERE limiter = 'test_sweep'")).rows,
    ).toEqual([{ key: "current" }]);
  });

  it("refuses keys longer than 200 characters at the table (keys are bounded values, ADR 0146)", async () => {
    const store = new PostgresWindowStore(pool, new ManualClock());
    await expect(store.take([{ limiter: "test_long", key: "x".repeat(201), rule }])).rejects.toMatchObject({
      code: "23514",
    });
  });
});
