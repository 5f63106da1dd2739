/**
 * Outbox retention (ADR 0250) on real PostgreSQL, through the retention sweep's own entry point
 * (purgeExpiredRows): sent messages go 30 days after they were sent, failed ones 90 days after they were
 * created, pending ones never; passes are bounded and take turns with the other tables.
 */
import pg from "pg";
import pino from "pino";
import { Registry } from "prom-client";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ManualClock } from "../../lib/clock.js";
import { testDatabase } from "../../test-support/postgres/index.js";
import { migrate } from "../db/migrate.js";
import { DEFAULT_RETENTION_POLICY, purgeExpiredRows, startRetentionSweep } from "../ops/retention.js";
import { enqueueNotification } from "./outbox.js";
import { outboxCutoffs } from "./retention.js";

const DAY = 24 * 3_600_000;
const T0 = Date.parse("2026-06-01T00:00:00Z");
let pool: pg.Pool;

beforeAll(async () => {
  pool = new pg.Pool({ connectionString: await testDatabase("outbox_retention"), max: 3 });
  await migrate(pool);
});
afterAll(() => pool.end());

/** A message created at `createdAt`, then put into `state` (sent at `sentAt`). */
async function message(
  name: string,
  createdAt: number,
  state: "pending" | "sent" | "failed",
  sentAt?: number,
) {
  const id = await enqueueNotification(
    pool,
    {
      kind: "license_revoked",
      to: `${name}@acme.test`,
      data: { licenseId: name, organization: "acme", at: new Date(createdAt).toISOString() },
    },
    new Date(createdAt),
  );
  await pool.query("UPDATE notification_outbox SET state = $2, sent_at = $3 WHERE id = $1", [
    id,
    state,
    sentAt === undefined ? null : new Date(sentAt),
  ]);
}
const left = async () =>
  (await pool.query<{ recipient: string }>("SELECT recipient FROM notification_outbox ORDER BY id")).rows.map(
    (r) => r.recipient.split("@")[0],
  );

describe("outbox retention", () => {
  it("cut-offs are the retention days before now", () => {
    expect(outboxCutoffs(new Date(T0), { sentRetentionDays: 30, failedRetentionDays: 90 })).toEqual({
      sentBefore: new Date(T0 - 30 * DAY),
      failedBefore: new Date(T0 - 90 * DAY),
    });
  });

  it("purges sent messages after 30 days and failed ones after 90; pending ones stay whatever their age", async () => {
    await message("sent-old", T0 - 40 * DAY, "sent", T0 - 31 * DAY);
    // Created long ago but sent recently (retried after a relay outage): its 30 days count from the send.
    await message("sent-late", T0 - 100 * DAY, "sent", T0 - 29 * DAY);
    await message("failed-old", T0 - 91 * DAY, "failed");
    await message("failed-recent", T0 - 89 * DAY, "failed");
    await message("pending-ancient", T0 - 400 * DAY, "pending");
    const report = await purgeExpiredRows(pool, new Date(T0));
    expect(report.notifications).toEqual({ sent: 1, failed: 1 });
    expect(await left()).toEqual(["sent-late", "failed-recent", "pending-ancient"]);
    expect((await purgeExpiredRows(pool, new Date(T0))).notifications).toEqual({ sent: 0, failed: 0 });
  });

  it("is bounded by the policy's batch size and batch count; later passes delete the rest", async () => {
    await pool.query("DELETE FROM notification_outbox");
    for (let n = 0; n < 5; n++) await message(`bulk${n}`, T0 - 60 * DAY, "sent", T0 - 60 * DAY);
    const policy = { ...DEFAULT_RETENTION_POLICY, batchSize: 2, maxBatches: 2 };
    expect((await purgeExpiredRows(pool, new Date(T0), policy)).notifications).toEqual({
      sent: 4,
      failed: 0,
    });
    expect(await left()).toHaveLength(1);
    expect((await purgeExpiredRows(pool, new Date(T0), policy)).notifications).toEqual({
      sent: 1,
      failed: 0,
    });
  });

  it("honours a policy's own retention days", async () => {
    await message("sent-week", T0 - 8 * DAY, "sent", T0 - 8 * DAY);
    const policy = { ...DEFAULT_RETENTION_POLICY, outbox: { sentRetentionDays: 7, failedRetentionDays: 7 } };
    expect((await purgeExpiredRows(pool, new Date(T0), policy)).notifications).toEqual({
      sent: 1,
      failed: 0,
    });
  });

  it("the periodic sweep counts what it purged on /metrics", async () => {
    await pool.query("DELETE FROM notification_outbox");
    await message("metric-sent", T0 - 40 * DAY, "sent", T0 - 40 * DAY);
    await message("metric-failed", T0 - 100 * DAY, "failed");
    const metrics = new Registry();
    const deps = {
      db: pool,
      clock: new ManualClock(new Date(T0)),
      logger: pino({ level: "silent" }),
      metrics,
    };
    const sweep = startRetentionSweep(deps, 3_600_000);
    try {
      expect((await sweep.runOnce())?.notifications).toEqual({ sent: 1, failed: 1 });
    } finally {
      await sweep.stop();
    }
    const text = await metrics.metrics();
    expect(text).toMatch(/^billing_notifications_purged_total\{state="sent"\} 1$/m);
    expect(text).toMatch(/^billing_notifications_purged_total\{state="failed"\} 1$/m);
  });
});
