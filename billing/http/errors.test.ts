/**
 * Issue 12 §10: database failures are one mapping in the error middleware — a value PostgreSQL cannot
 * store is a 400, everything else a 503 with Retry-After (never 500 internal_error). The errors are real
 * ones, raised by the run's PostgreSQL.
 */
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { z } from "zod";
import { testDatabase } from "../../test-support/postgres/index.js";
import { type BillingHarness, startBillingHarness } from "../testing/harness.js";
import { toErrorResponse } from "./errors.js";

async function failureOf(pool: pg.Pool, ...statements: string[]): Promise<unknown> {
  const client = await pool.connect();
  client.on("error", () => undefined);
  try {
    for (const sql of statements) await client.query(sql);
  } catch (err) {
    return err;
  } finally {
    client.release(true);
  }
  throw new Error(`expected ${statements.join("; ")} to fail`);
}

describe("toErrorResponse for database failures", () => {
  let pool: pg.Pool;
  let holder: pg.PoolClient;
  beforeAll(async () => {
    pool = new pg.Pool({ connectionString: await testDatabase("db_errors"), max: 4 });
    await pool.query("CREATE TABLE held (id int)");
    holder = await pool.connect();
    await holder.query("BEGIN");
    await holder.query("LOCK TABLE held IN ACCESS EXCLUSIVE MODE");
  });
  afterAll(async () => {
    await holder.query("ROLLBACK");
    holder.release();
    await pool.end();
  });

  it.each([
    ["division by zero (22012)", ["SELECT 1/0"], 400, "invalid_request"],
    ["a date out of range (22008)", ["SELECT '0000-01-01'::timestamptz"], 400, "invalid_request"],
    ["NUL in text (22P05)", ["SELECT '\\u0000'::jsonb"], 400, "invalid_request"],
    ["a missing table (42P01)", ["SELECT * FROM no_such_table"], 503, "database_error"],
    [
      "a lock not available (55P03)",
      ["BEGIN", "LOCK TABLE held IN ACCESS EXCLUSIVE MODE NOWAIT"],
      503,
      "database_unavailable",
    ],
    [
      "a statement timeout (57014)",
      ["SET statement_timeout = '10ms'", "SELECT pg_sleep(1)"],
      503,
      "database_unavailable",
    ],
    [
      "the session terminated (57P01)",
      ["SELECT pg_terminate_backend(pg_backend_pid())"],
      503,
      "database_unavailable",
    ],
  ])("%s", async (_name, statements, status, code) => {
    const err = await failureOf(pool, ...statements);
    const response = toErrorResponse(err);
    expect(response.status).toBe(status);
    expect(response.body.error.code).toBe(code);
    expect(response.retryAfterSeconds).toBe(status === 503 ? 2 : undefined);
  });

  it("a server that refuses connections is unavailable", async () => {
    const unreachable = new pg.Client({ connectionString: "postgres://x@127.0.0.1:1/x" });
    const err = await unreachable.connect().then(
      () => new Error("connected?"),
      (e: unknown) => e,
    );
    expect(toErrorResponse(err)).toMatchObject({ status: 503, retryAfterSeconds: 2 });
  });

  it("leaves other errors alone", () => {
    expect(toErrorResponse(new Error("bug")).status).toBe(500);
    expect(toErrorResponse(z.string().safeParse(1).error).status).toBe(400);
  });
});

describe("a database error during a request", () => {
  let h: BillingHarness;
  beforeAll(async () => {
    h = await startBillingHarness();
  });
  afterAll(() => h.stop());

  it("is a 503 with Retry-After, not a 500", async () => {
    await h.pool.query("ALTER TABLE audit_events RENAME TO audit_events_away");
    try {
      const res = await h.admin("GET", "/audit-events");
      expect(res.status).toBe(503);
      expect(res.headers.get("retry-after")).toBe("2");
      expect(((await res.json()) as { error: { code: string } }).error.code).toBe("database_error");
    } finally {
      await h.pool.query("ALTER TABLE audit_events_away RENAME TO audit_events");
    }
  });
});
