/**
 * Test infrastructure for journeys that read their mail: the real outbox sender delivering to the SMTP test
 * server (test-support/smtp), links taken out of the received message's text the way a person clicks them,
 * and a sender process killed mid-batch (as billing/notifications/sender.test.ts kills one) so a journey can
 * prove its emails still arrive exactly once.
 */
import { spawn } from "node:child_process";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import pino from "pino";
import type { Clock } from "../../../lib/clock.js";
import type { CaughtMessage, SmtpCatcher } from "../../../test-support/smtp/index.js";
import { waitFor } from "../../../test-support/wait.js";
import type { Db } from "../../deps.js";
import { createNotificationSender, type SendPass } from "../../notifications/sender.js";
import { createSmtpTransport } from "../../notifications/transport.js";

/** The From address of billing/notifications/testing/sender-process.ts: Message-IDs agree between the two. */
export const MAIL_FROM = "billing@coditect.test";
const root = join(dirname(fileURLToPath(import.meta.url)), "..", "..", "..");

export interface Mailbox {
  /** One sender pass in this process (what a replica's periodic loop does). */
  send(): Promise<SendPass>;
  /** Messages delivered to `to` (optionally only those whose subject matches). */
  to(to: string, subject?: RegExp): CaughtMessage[];
  /** The one link in `message`'s text under `${publicBaseUrl}${path}` (throws when absent or ambiguous). */
  link(message: CaughtMessage, path: string): URL;
  /**
   * Starts a sender in its own process, waits until it has claimed a message and sent its DATA (SMTP holds
   * the answer), kills it with SIGKILL, releases SMTP and waits until the dead sender's row lock is gone.
   */
  crashSenderMidBatch(databaseUrl: string): Promise<void>;
}

export function mailbox(deps: { db: Db; clock: Clock }, smtp: SmtpCatcher, publicBaseUrl: string): Mailbox {
  const transport = createSmtpTransport(
    { host: smtp.host, port: smtp.port, auth: undefined, from: MAIL_FROM },
    { pool: false },
  );
  const sender = createNotificationSender({ ...deps, logger: pino({ level: "silent" }) }, transport, {
    from: MAIL_FROM,
  });
  return {
    send: () => sender.sendDue(),
    to: (to, subject) =>
      smtp.messages.filter((m) => m.to.includes(to) && (subject === undefined || subject.test(m.subject))),
    link(message, path) {
      const prefix = `${publicBaseUrl}${path}`;
      const found = [...new Set(message.text.match(/https?:\/\/\S+/g) ?? [])].filter((u) =>
        u.startsWith(prefix),
      );
      if (found.length !== 1)
        throw new Error(`expected one ${prefix} link in "${message.subject}": ${found}`);
      return new URL(found[0]!);
    },
    async crashSenderMidBatch(databaseUrl) {
      smtp.hang();
      const child = spawn(
        process.execPath,
        ["--import", "tsx", "billing/notifications/testing/sender-process.ts"],
        {
          cwd: root,
          env: { PATH: process.env.PATH ?? "", DATABASE_URL: databaseUrl, SMTP_PORT: String(smtp.port) },
          stdio: ["ignore", "pipe", "pipe"],
        },
      );
      const exited = new Promise((resolve) => child.once("exit", resolve));
      try {
        await waitFor("the doomed sender's message held in DATA", () => smtp.held() === 1, {
          timeoutMs: 30_000,
        });
      } finally {
        child.kill("SIGKILL");
        await exited;
        smtp.release(); // answered 451 on a dead connection: never delivered
      }
      await waitFor("the killed sender's claim rolled back", async () => {
        const locked = await deps.db.query(
          `SELECT count(*)::int AS n FROM notification_outbox WHERE state = 'pending'
             AND id NOT IN (SELECT id FROM notification_outbox WHERE state = 'pending' FOR UPDATE SKIP LOCKED)`,
        );
        return locked.rows[0].n === 0;
      });
    },
  };
}
