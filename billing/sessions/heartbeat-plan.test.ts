/**
 * ADR 0323: the heartbeat's one statement is served by the token's unique index and the primary key on a
 * table PostgreSQL has no statistics for yet (a fresh deployment, a restore, the benchmark's setup), where
 * the planner once chose the partial last_heartbeat_at indexes and filtered every live session per
 * heartbeat. The plan is read with EXPLAIN of the statement exactly as touchLiveSession sends it.
 */
import { createHash } from "node:crypto";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { testDatabase } from "../../test-support/postgres/index.js";
import { createGrantedLicense } from "../admin/actions.js";
import { migrate } from "../db/migrate.js";
import { withTransaction } from "../db/tx.js";
import { touchLiveSession } from "./store.js";

const SESSIONS = 400;
const hashOf = (i: number) => createHash("sha256").update(`plan-token-${i}`).digest("hex");

describe("the heartbeat statement's plan (ADR 0323)", () => {
  let pool: pg.Pool;
  beforeAll(async () => {
    pool = new pg.Pool({ connectionString: await testDatabase("heartbeatplan"), max: 2 });
    await migrate(pool);
    const { license } = await withTransaction(pool, (tx) =>
      createGrantedLicense(
        tx,
        {
          organization: "plan-org",
          customerEmail: "plan@acme.example",
          tier: "enterprise",
          provisioningType: "internal",
          seats: 10,
          workstations: 0,
        },
        { actor: "test", action: "license.created", now: new Date(), paymentGraceMs: 86_400_000 },
      ),
    );
    // Live sessions written at once and never analyzed: what the planner sees right after a deploy.
    await pool.query(
      `INSERT INTO container_sessions (id, license_id, organization, container_id, container_type, token_hash,
              state, created_at, last_heartbeat_at, online_since)
       SELECT gen_random_uuid(), $1, 'plan-org', 'c-' || i, 'docker', h, 'active', now(), now(), now()
         FROM unnest($2::text[]) WITH ORDINALITY AS t(h, i)`,
      [license.id, Array.from({ length: SESSIONS }, (_, i) => hashOf(i))],
    );
  });
  afterAll(() => pool.end());

  it("finds the session by its token's unique index and updates it by its primary key, generic and custom plans alike", async () => {
    const now = new Date();
    let sent: pg.QueryConfig | undefined;
    const capturing = {
      query: (config: pg.QueryConfig) => {
        sent = config;
        return pool.query(config);
      },
    } as unknown as pg.Pool;
    const charge = {
      limiter: "sessions_heartbeat",
      key: hashOf(7),
      rule: { limit: 20, windowMs: 60_000 },
    };
    const { rateLimit, touched } = await touchLiveSession(
      capturing,
      hashOf(7),
      now,
      new Date(now.getTime() - 30 * 60_000),
      new Date(now.getTime() - 86_400_000),
      { cpuPercent: 3 },
      charge,
    );
    expect(rateLimit).toEqual({ allowed: true });
    expect(touched?.session.container_id).toBe("c-8");
    expect(touched?.session.last_heartbeat_at).toEqual(now);
    expect(touched?.license.organization).toBe("plan-org");

    const client = await pool.connect();
    try {
      const literal = (value: unknown): string => {
        if (value === null) return "NULL";
        if (Array.isArray(value)) return `ARRAY[${value.map(literal).join(", ")}]`;
        if (value instanceof Date) return client.escapeLiteral(value.toISOString());
        if (typeof value === "number") return String(value);
        return client.escapeLiteral(String(value));
      };
      const values = (sent!.values as unknown[]).map((v, i) => (i === 0 ? hashOf(9) : v));
      for (const mode of ["force_generic_plan", "force_custom_plan"]) {
        await client.query(`SET plan_cache_mode = ${mode}`);
        await client.query(`PREPARE plan_${mode} AS ${sent!.text}`);
        const plan = (
          await client.query<{ "QUERY PLAN": string }>(
            `EXPLAIN (ANALYZE, COSTS OFF) EXECUTE plan_${mode}(${values.map(literal).join(", ")})`,
          )
        ).rows
          .map((r) => r["QUERY PLAN"])
          .join("\n");
        expect(plan, mode).toContain(
          "Index Scan using container_sessions_token_hash_key on container_sessions",
        );
        expect(plan, mode).toContain("Index Scan using container_sessions_pkey on container_sessions c");
        expect(plan, mode).not.toMatch(/container_sessions_(live|silent)_idx/);
        expect(plan, mode).not.toContain("Rows Removed by Filter");
      }
    } finally {
      await client.query("RESET plan_cache_mode");
      client.release();
    }
  });
});
