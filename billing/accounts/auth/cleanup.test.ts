/**
 * The retention sweep deletes expired magic links and ended, expired or idle customer sessions, and keeps
 * the ones still usable (real PostgreSQL, through billing/ops/retention.ts's pass).
 */
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { testDatabase } from "../../../test-support/postgres/index.js";
import { migrate } from "../../db/migrate.js";
import { purgeExpiredRows } from "../../ops/retention.js";
import {
  ABSOLUTE_LIFETIME_MS,
  createAccountSession,
  endAccountSession,
  hashToken,
  IDLE_TIMEOUT_MS,
} from "../account-session.js";
import { ensureUser } from "../directory.js";
import { requestMagicLink } from "./magic-link.js";

let pool: pg.Pool;
beforeAll(async () => {
  pool = new pg.Pool({ connectionString: await testDatabase("account_cleanup"), max: 2 });
  await migrate(pool);
});
afterAll(() => pool.end());

describe("retention of sign-in rows", () => {
  it("deletes expired links and ended, expired or idle sessions; keeps live ones", async () => {
    const t0 = new Date("2026-06-01T00:00:00Z");
    const at = (ms: number) => new Date(t0.getTime() + ms);
    await requestMagicLink(pool, "old@example.com", "https://b.test", t0);
    await requestMagicLink(pool, "fresh@example.com", "https://b.test", at(IDLE_TIMEOUT_MS - 60_000));
    const user = await ensureUser(pool, "s@example.com", t0);
    const ended = await createAccountSession(pool, user.id, "magic_link", t0);
    await endAccountSession(pool, hashToken(ended.token), t0);
    await createAccountSession(pool, user.id, "magic_link", t0); // idle since t0
    const expired = await createAccountSession(pool, user.id, "magic_link", at(-ABSOLUTE_LIFETIME_MS));
    const live = await createAccountSession(pool, user.id, "magic_link", at(IDLE_TIMEOUT_MS));
    await pool.query("UPDATE account_sessions SET last_seen_at = $2 WHERE token_hash = $1", [
      hashToken(expired.token),
      at(IDLE_TIMEOUT_MS),
    ]);

    const report = await purgeExpiredRows(pool, at(IDLE_TIMEOUT_MS));
    expect(report.signIn).toEqual({ magicLinks: 1, accountSessions: 3 });
    const links = await pool.query("SELECT email FROM magic_links");
    expect(links.rows).toEqual([{ email: "fresh@example.com" }]);
    const sessions = await pool.query("SELECT token_hash FROM account_sessions");
    expect(sessions.rows).toEqual([{ token_hash: hashToken(live.token) }]);
  });
});
