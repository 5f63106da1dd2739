/**
 * Outbox throughput (issue 16 §3, ADR 0210): messages per second the outbox sender delivers to a local SMTP
 * server (claim with FOR UPDATE SKIP LOCKED, render, send, mark sent — one transaction per message, two
 * workers) against the baseline of raw nodemailer sends of the same rendered messages over the same pooled
 * transport settings, in the same run, rounds interleaved. The SMTP server runs in its own process
 * (bench/notifications-smtp-server.ts) and counts what it accepted; every message must arrive.
 * Run: npm run bench -- notifications   (small proof run: BENCH_NOTIFICATIONS_MESSAGES=50 BENCH_NOTIFICATIONS_ROUNDS=1)
 */
import { spawn } from "node:child_process";
import { loadavg } from "node:os";
import { dirname, join } from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import pg from "pg";
import { pino } from "pino";
import { migrate } from "../billing/db/migrate.js";
import { enqueueNotification } from "../billing/notifications/outbox.js";
import { createNotificationSender } from "../billing/notifications/sender.js";
import { renderNotification } from "../billing/notifications/templates.js";
import { createSmtpTransport } from "../billing/notifications/transport.js";
import { systemClock } from "../lib/clock.js";
import { startPostgres } from "../test-support/postgres/server.js";
import { writeBenchResult } from "./write-result.js";

const MESSAGES = Number(process.env.BENCH_NOTIFICATIONS_MESSAGES ?? 1000);
const ROUNDS = Number(process.env.BENCH_NOTIFICATIONS_ROUNDS ?? 3);
const FROM = "billing@coditect.test";
const here = dirname(fileURLToPath(import.meta.url));

const data = (n: number) => ({
  licenseId: `lic-${n}`,
  organization: "acme",
  at: "2026-06-01T00:00:00.000Z",
});

// The SMTP server process.
const server = spawn(process.execPath, ["--import", "tsx", join(here, "notifications-smtp-server.ts")], {
  stdio: ["pipe", "pipe", "inherit"],
});
const replies = createInterface({ input: server.stdout! });
const nextLine = () => new Promise<string>((resolve) => replies.once("line", resolve));
const smtpPort = Number((await nextLine()).split(" ")[1]);
const received = async () => {
  const reply = nextLine();
  server.stdin!.write("count\n");
  return Number((await reply).split(" ")[1]);
};

const postgres = await startPostgres();
const pool = new pg.Pool({ connectionString: await postgres.createDatabase("notifications_bench"), max: 10 });
const smtp = { host: "127.0.0.1", port: smtpPort, auth: undefined, from: FROM };
const loadBefore = loadavg();
const rounds: { raw: number; outbox: number; enqueuePerSecond: number }[] = [];
try {
  await migrate(pool);
  for (let round = 0; round < ROUNDS; round++) {
    // Baseline: the same rendered messages straight through nodemailer, as many in flight as connections.
    const rawTransport = createSmtpTransport(smtp);
    const before = await received();
    let start = performance.now();
    await Promise.all(
      Array.from({ length: MESSAGES }, (_, n) => {
        const email = renderNotification("license_revoked", data(n));
        return rawTransport.sendMail({ from: FROM, to: `user${n}@acme.test`, ...email });
      }),
    );
    const rawSeconds = (performance.now() - start) / 1000;
    rawTransport.close();
    if ((await received()) - before !== MESSAGES) throw new Error("raw sends: not every message arrived");

    // The outbox: enqueue (one transaction each, as requests do), then the sender drains it.
    start = performance.now();
    for (let n = 0; n < MESSAGES; n++) {
      await enqueueNotification(
        pool,
        { kind: "license_revoked", to: `user${n}@acme.test`, data: data(n) },
        systemClock.now(),
      );
    }
    const enqueueSeconds = (performance.now() - start) / 1000;
    const transport = createSmtpTransport(smtp);
    const sender = createNotificationSender(
      { db: pool, clock: systemClock, logger: pino({ level: "silent" }) },
      transport,
      {
        from: FROM,
        batchSize: MESSAGES,
      },
    );
    const mid = await received();
    start = performance.now();
    let sent = 0;
    while (sent < MESSAGES) {
      const pass = await sender.sendDue();
      if (pass.sent === 0) throw new Error(`the sender stalled: ${JSON.stringify(pass)}`);
      sent += pass.sent;
    }
    const outboxSeconds = (performance.now() - start) / 1000;
    transport.close();
    if ((await received()) - mid !== MESSAGES)
      throw new Error("outbox: not every message arrived exactly once");
    rounds.push({
      raw: MESSAGES / rawSeconds,
      outbox: MESSAGES / outboxSeconds,
      enqueuePerSecond: MESSAGES / enqueueSeconds,
    });
    console.log(`round ${round + 1}: ${JSON.stringify(rounds.at(-1))}`);
    await pool.query("DELETE FROM notification_outbox");
  }
  const median = (values: number[]) => values.sort((a, b) => a - b)[Math.floor(values.length / 2)]!;
  const raw = median(rounds.map((r) => r.raw));
  const outbox = median(rounds.map((r) => r.outbox));
  writeBenchResult("notifications", "outbox", {
    loadAverage: { before: loadBefore, after: loadavg() },
    messagesPerRound: MESSAGES,
    rounds,
    medianMessagesPerSecond: { rawNodemailer: raw, outboxSender: outbox },
    outboxVsRaw: outbox / raw,
    medianEnqueuePerSecond: median(rounds.map((r) => r.enqueuePerSecond)),
    note: "raw = nodemailer pooled transport (2 connections), all messages in flight at once; outbox = the sender (2 workers, one transaction per message holding the row lock while SMTP answers). SMTP server in its own process.",
  });
} finally {
  await pool.end();
  await postgres.stop();
  server.stdin!.end();
}
