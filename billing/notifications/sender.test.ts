/**
 * The outbox sender against real PostgreSQL and a real SMTP server (test-support/smtp): what the server
 * accepted is what was delivered. Exactly once per message id through SMTP refusals, a sender killed
 * between its claim and SMTP's answer, and two senders racing.
 */
import { spawn } from "node:child_process";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import pg from "pg";
import pino from "pino";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { ManualClock } from "../../lib/clock.js";
import { testDatabase } from "../../test-support/postgres/index.js";
import { type SmtpCatcher, startSmtpCatcher } from "../../test-support/smtp/index.js";
import { waitFor } from "../../test-support/wait.js";
import { migrate } from "../db/migrate.js";
import { withTransaction } from "../db/tx.js";
import { enqueueNotification, type NotificationRequest } from "./outbox.js";
import { backoffMs, createNotificationSender, messageIdFor } from "./sender.js";
import { createSmtpTransport } from "./transport.js";

const FROM = "billing@coditect.test";
const root = join(dirname(fileURLToPath(import.meta.url)), "..", "..");

let url: string;
let pool: pg.Pool;
let smtp: SmtpCatcher;
const clock = new ManualClock("2026-06-01T00:00:00Z");
const logger = pino({ level: "silent" });

beforeAll(async () => {
  url = await testDatabase("notifications");
  pool = new pg.Pool({ connectionString: url, max: 6 });
  await migrate(pool);
  smtp = await startSmtpCatcher();
});
afterAll(async () => {
  await pool.end();
  await smtp.stop();
});
afterEach(async () => {
  smtp.release();
  smtp.refuseNext(0);
  smtp.messages.length = 0;
  await pool.query("DELETE FROM notification_outbox");
});

const transport = () =>
  createSmtpTransport({ host: smtp.host, port: smtp.port, auth: undefined, from: FROM }, { pool: false });
const sender = (options: { maxAttempts?: number; concurrency?: number } = {}) =>
  createNotificationSender({ db: pool, clock, logger }, transport(), { from: FROM, ...options });

const message = (n: number): NotificationRequest => ({
  kind: "license_revoked",
  to: `user${n}@acme.test`,
  data: { licenseId: `lic-${n}`, organization: "acme", at: "2026-06-01T00:00:00.000Z" },
});
const enqueue = async (count: number) => {
  const ids: string[] = [];
  for (let n = 0; n < count; n++) {
    ids.push((await withTransaction(pool, (tx) => enqueueNotification(tx, message(n), clock.now())))!);
  }
  return ids;
};
const rows = async () =>
  (await pool.query("SELECT id::text, state, attempts, last_error FROM notification_outbox ORDER BY id"))
    .rows;
const deliveredIds = () => smtp.messages.map((m) => m.messageId).sort();

describe("notification sender", () => {
  it("sends a committed message once, with a Message-ID derived from its row; a rolled-back one never", async () => {
    const [id] = await enqueue(1);
    await expect(
      withTransaction(pool, async (tx) => {
        await enqueueNotification(tx, message(9), clock.now());
        throw new Error("the change failed");
      }),
    ).rejects.toThrow("the change failed");
    expect(await sender().sendDue()).toEqual({ sent: 1, retried: 0, failed: 0 });
    expect(await sender().sendDue()).toEqual({ sent: 0, retried: 0, failed: 0 });
    expect(smtp.messages).toHaveLength(1);
    expect(smtp.messages[0]).toMatchObject({
      messageId: messageIdFor(id!, FROM),
      to: ["user0@acme.test"],
      from: FROM,
      subject: "Your Coditect license for acme was revoked",
    });
    expect(smtp.messages[0]!.headers["x-notification-kind"]).toBe("license_revoked");
    expect(await rows()).toEqual([{ id, state: "sent", attempts: 1, last_error: null }]);
  });

  it("SMTP refusing, then accepting: retried after the backoff, delivered exactly once", async () => {
    const [id] = await enqueue(1);
    smtp.refuseNext(2);
    expect(await sender().sendDue()).toEqual({ sent: 0, retried: 1, failed: 0 });
    // Not due again before the backoff has passed.
    expect(await sender().sendDue()).toEqual({ sent: 0, retried: 0, failed: 0 });
    clock.advance(backoffMs(1, 60_000, 6 * 3_600_000));
    expect(await sender().sendDue()).toEqual({ sent: 0, retried: 1, failed: 0 });
    clock.advance(backoffMs(2, 60_000, 6 * 3_600_000) - 1);
    expect(await sender().sendDue()).toEqual({ sent: 0, retried: 0, failed: 0 });
    clock.advance(1);
    expect(await sender().sendDue()).toEqual({ sent: 1, retried: 0, failed: 0 });
    expect(deliveredIds()).toEqual([messageIdFor(id!, FROM)]);
    expect(await rows()).toEqual([{ id, state: "sent", attempts: 3, last_error: null }]);
  });

  it("after maxAttempts refusals the message is failed and no longer sent", async () => {
    const [id] = await enqueue(1);
    smtp.refuseNext(100);
    for (let attempt = 1; attempt <= 3; attempt++) {
      await sender({ maxAttempts: 3 }).sendDue();
      clock.advance(6 * 3_600_000);
    }
    expect(await rows()).toEqual([
      { id, state: "failed", attempts: 3, last_error: expect.stringContaining("try again later") },
    ]);
    smtp.refuseNext(0);
    expect(await sender({ maxAttempts: 3 }).sendDue()).toEqual({ sent: 0, retried: 0, failed: 0 });
    expect(smtp.messages).toHaveLength(0);
  });

  it("a message whose template cannot render is failed at once (it never will)", async () => {
    await withTransaction(pool, (tx) =>
      enqueueNotification(tx, { kind: "payment_failed", to: "x@acme.test", data: {} }, clock.now()),
    );
    expect(await sender().sendDue()).toEqual({ sent: 0, retried: 0, failed: 1 });
    expect((await rows())[0]).toMatchObject({
      state: "failed",
      last_error: "notification data lacks organization",
    });
  });

  it("a sender killed between its claim and SMTP's answer sends nothing; the next sender delivers every message once", async () => {
    const ids = await enqueue(3);
    smtp.hang();
    const child = spawn(
      process.execPath,
      ["--import", "tsx", "billing/notifications/testing/sender-process.ts"],
      {
        cwd: root,
        env: { PATH: process.env.PATH ?? "", DATABASE_URL: url, SMTP_PORT: String(smtp.port) },
        stdio: ["ignore", "pipe", "pipe"],
      },
    );
    const exited = new Promise((resolve) => child.once("exit", resolve));
    // The child has claimed the first message (row locked) and sent its DATA; SMTP has not answered.
    await waitFor("the killed sender's message held in DATA", () => smtp.held() === 1);
    const locked = await pool.query(
      "SELECT id::text FROM notification_outbox WHERE state = 'pending' FOR UPDATE SKIP LOCKED",
    );
    expect(locked.rows.map((r) => r.id)).toEqual(ids.slice(1));
    child.kill("SIGKILL");
    await exited;
    smtp.release(); // the held DATA is answered 451 on a dead connection: never delivered
    // Its transaction rolled back with its connection: the claim (and the attempt count) are undone.
    await waitFor("the killed sender's lock released", async () => {
      const r = await pool.query("SELECT id FROM notification_outbox FOR UPDATE SKIP LOCKED");
      return r.rowCount === 3;
    });
    expect(await sender().sendDue()).toEqual({ sent: 3, retried: 0, failed: 0 });
    expect(deliveredIds()).toEqual(ids.map((id) => messageIdFor(id, FROM)).sort());
    expect((await rows()).map((r) => [r.state, r.attempts])).toEqual([
      ["sent", 1],
      ["sent", 1],
      ["sent", 1],
    ]);
  });

  it("two senders racing (SKIP LOCKED) deliver 40 messages exactly once between them", async () => {
    const ids = await enqueue(40);
    const [a, b] = await Promise.all([
      sender({ concurrency: 3 }).sendDue(),
      sender({ concurrency: 3 }).sendDue(),
    ]);
    expect(a.sent + b.sent).toBe(40);
    expect(deliveredIds()).toEqual(ids.map((id) => messageIdFor(id, FROM)).sort());
  });

  it("backoff doubles per attempt and is capped", () => {
    expect([1, 2, 3, 4].map((n) => backoffMs(n, 60_000, 300_000))).toEqual([
      60_000, 120_000, 240_000, 300_000,
    ]);
  });
});
