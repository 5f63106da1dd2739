/**
 * Concurrent per-IP charges share one UPSERT on the real PostgreSQL store (ADR 0290), each counted once with
 * its own decision; a key twice goes in consecutive statements; a failed statement fails only its batch.
 */
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ManualClock } from "../../lib/clock.js";
import { countingDb } from "../../test-support/counting-db.js";
import { testDatabase } from "../../test-support/postgres/index.js";
import { migrate } from "../db/migrate.js";
import { NamedLimit, type RateLimitCharge } from "../sessions/rate-limit.js";
import { PostgresWindowStore, type SharedWindowStore } from "../sessions/rate-limit-postgres.js";
import { SharedChargeBatcher } from "./shared-charge-batch.js";

const clock = new ManualClock("2026-06-01T00:00:00Z");
const rule = { limit: 3, windowMs: 60_000 };

describe("SharedChargeBatcher", () => {
  let pool: pg.Pool;
  beforeAll(async () => {
    pool = new pg.Pool({ connectionString: await testDatabase("charge_batch"), max: 4 });
    await migrate(pool);
  });
  afterAll(() => pool.end());

  const setup = (name: string) => {
    const counted = countingDb(pool);
    const store = new PostgresWindowStore(counted.db, clock);
    const limit = new NamedLimit(name, rule, clock, store);
    return { counted, batcher: new SharedChargeBatcher(store), charge: (key: string) => ({ limit, key }) };
  };
  const windowCounts = async (name: string) => {
    const rows = await pool.query<{ key: string; count: number }>(
      "SELECT key, count FROM rate_limit_windows WHERE limiter = $1 ORDER BY key",
      [name],
    );
    return Object.fromEntries(rows.rows.map((r) => [r.key, r.count]));
  };

  it("charges that arrive while one is in flight go together: fewer statements, each counted once", async () => {
    const { counted, batcher, charge } = setup("batch_distinct");
    const keys = Array.from({ length: 20 }, (_, i) => `10.0.0.${i}`);
    const decisions = await Promise.all(keys.map((k) => batcher.take(charge(k))));
    expect(decisions.every((d) => d.allowed)).toBe(true);
    // The first goes alone at once; the 19 that arrived while it was in flight share the next statement.
    expect(counted.statements()).toHaveLength(2);
    expect(await windowCounts("batch_distinct")).toEqual(Object.fromEntries(keys.map((k) => [k, 1])));
  });

  it("one key charged concurrently: consecutive statements, the fourth and fifth refused (limit 3)", async () => {
    const { counted, batcher, charge } = setup("batch_same_key");
    const decisions = await Promise.all(Array.from({ length: 5 }, () => batcher.take(charge("10.1.1.1"))));
    expect(decisions.map((d) => d.allowed)).toEqual([true, true, true, false, false]);
    expect(decisions[4]).toEqual({ allowed: false, retryAfterSeconds: 60 });
    expect(counted.statements()).toHaveLength(5);
    expect(await windowCounts("batch_same_key")).toEqual({ "10.1.1.1": 5 });
  });

  it("a batch mixing an address over the limit (counted by another replica) with others: only it is refused", async () => {
    const { batcher, charge } = setup("batch_mixed");
    await pool.query(
      "INSERT INTO rate_limit_windows (limiter, key, window_ends_at, count) VALUES ('batch_mixed', '10.2.2.2', $1, 3)",
      [new Date(clock.now().getTime() + 30_000)],
    );
    const [first, ...rest] = ["10.2.2.1", "10.2.2.2", "10.2.2.3"].map((k) => batcher.take(charge(k)));
    expect(await first).toEqual({ allowed: true });
    expect(await Promise.all(rest)).toEqual([{ allowed: false, retryAfterSeconds: 30 }, { allowed: true }]);
  });

  it("a failed statement rejects only its batch; the charges after it are sent", async () => {
    let calls = 0;
    const flaky: SharedWindowStore = {
      async take(charges) {
        calls += 1;
        if (calls === 1) throw new Error("database unavailable");
        return charges.map(() => ({ allowed: true }));
      },
    };
    const limit = new NamedLimit("batch_flaky", rule, clock, flaky);
    const batcher = new SharedChargeBatcher(flaky);
    const charges: RateLimitCharge[] = ["a", "b", "c"].map((key) => ({ limit, key }));
    const results = await Promise.allSettled(charges.map((c) => batcher.take(c)));
    expect(results.map((r) => r.status)).toEqual(["rejected", "fulfilled", "fulfilled"]);
    expect(calls).toBe(2);
  });
});
