/**
 * Group commit of ignored events' ledger rows (ADR 0290) on real PostgreSQL: concurrent deliveries share a
 * statement, each learns whether its row was new, redeliveries (in the same burst too) are duplicates, and
 * a failed statement fails only its batch.
 */
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { countingDb } from "../../test-support/counting-db.js";
import { testDatabase } from "../../test-support/postgres/index.js";
import { migrate } from "../db/migrate.js";
import type { Db } from "../deps.js";
import { IgnoredEventLedger, type IgnoredEventRow } from "./ledger-batch.js";

const at = new Date("2026-06-01T00:00:00Z");
const row = (id: string): IgnoredEventRow => ({
  id,
  type: "customer.tax_id.updated",
  createdAt: at,
  processedAt: at,
  objectId: `txi_${id}`,
});

describe("IgnoredEventLedger", () => {
  let pool: pg.Pool;
  beforeAll(async () => {
    pool = new pg.Pool({ connectionString: await testDatabase("ledger_batch"), max: 4 });
    await migrate(pool);
  });
  afterAll(() => pool.end());

  it("rows that arrive while one is in flight share the next INSERT; each is committed before it resolves", async () => {
    const counted = countingDb(pool);
    const ledger = new IgnoredEventLedger(counted.db);
    const ids = Array.from({ length: 20 }, (_, i) => `evt_batch_${i}`);
    const inserted = await Promise.all(ids.map((id) => ledger.record(row(id))));
    expect(inserted.every(Boolean)).toBe(true);
    expect(counted.statements()).toHaveLength(2);
    const rows = await pool.query(
      "SELECT id, outcome, object_id FROM stripe_events WHERE id LIKE 'evt_batch_%' ORDER BY id",
    );
    expect(rows.rows).toHaveLength(20);
    expect(rows.rows.every((r) => r.outcome === "ignored" && r.object_id === `txi_${r.id}`)).toBe(true);
  });

  it("redeliveries are duplicates, also when the same id comes twice in one burst", async () => {
    const ledger = new IgnoredEventLedger(pool);
    expect(await ledger.record(row("evt_dup_0"))).toBe(true);
    const burst = await Promise.all(
      ["evt_dup_1", "evt_dup_0", "evt_dup_2", "evt_dup_2", "evt_dup_2"].map((id) => ledger.record(row(id))),
    );
    expect(burst).toEqual([true, false, true, false, false]);
    const count = await pool.query("SELECT count(*)::int AS n FROM stripe_events WHERE id LIKE 'evt_dup_%'");
    expect(count.rows[0].n).toBe(3);
  });

  it("a failed statement rejects only its batch; rows after it are written", async () => {
    let calls = 0;
    const flaky = {
      query: (...args: Parameters<pg.Pool["query"]>) => {
        calls += 1;
        if (calls === 1) return Promise.reject(new Error("connection terminated"));
        return (pool.query as (...a: unknown[]) => unknown)(...args);
      },
      connect: () => pool.connect(),
    } as unknown as Db;
    const ledger = new IgnoredEventLedger(flaky);
    const results = await Promise.allSettled(
      ["evt_flaky_a", "evt_flaky_b", "evt_flaky_c"].map((id) => ledger.record(row(id))),
    );
    expect(results.map((r) => r.status)).toEqual(["rejected", "fulfilled", "fulfilled"]);
    const written = await pool.query("SELECT id FROM stripe_events WHERE id LIKE 'evt_flaky_%' ORDER BY id");
    expect(written.rows.map((r) => r.id)).toEqual(["evt_flaky_b", "evt_flaky_c"]);
  });
});
