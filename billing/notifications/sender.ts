/**
 * The outbox sender (ADR 0210). On every replica a periodic loop claims due messages one at a time with
 * `FOR UPDATE SKIP LOCKED`, sends each over SMTP while holding the row lock, and marks it sent in the same
 * transaction. So:
 * - two replicas never send the same message at once (the second skips the locked row);
 * - a sender that dies after the claim and before SMTP accepted the message sends nothing: its transaction
 *   rolls back with its connection and the message is claimed again;
 * - SMTP rejecting or timing out counts an attempt and schedules the next with exponential backoff; after
 *   `maxAttempts` the message is `failed` (metrics, admin list and retry);
 * - the residual window: SMTP accepted the message but the commit that marks it sent never happened (the
 *   process or the database died in between). The message is then sent again, with the SAME Message-ID
 *   (derived from the row id), which mail systems and readers use to drop duplicates. Nothing else can close
 *   this window: SMTP has no two-phase commit.
 * Requests never wait for any of this: they only insert the row (outbox.ts).
 */
import type { Transporter } from "nodemailer";
import type { Logger } from "pino";
import type { Clock } from "../../lib/clock.js";
import { type PeriodicTask, startPeriodic } from "../../lib/periodic.js";
import { withTransaction } from "../db/tx.js";
import type { Db } from "../deps.js";
import type { NotificationRow } from "./outbox.js";
import { renderNotification } from "./templates.js";

export interface SenderOptions {
  /** The From address; its domain also names the Message-ID. */
  from: string;
  /** Attempts before a message is `failed` (default 8: about 4 h of backoff with the defaults). */
  maxAttempts?: number;
  /** Delay after the first failed attempt; doubles per attempt up to maxBackoffMs (default 1 min). */
  baseBackoffMs?: number;
  maxBackoffMs?: number;
  /** Messages one pass sends at most before yielding to the next tick (default 200). */
  batchSize?: number;
  /** Messages in flight at once, each on its own database connection (default 2). */
  concurrency?: number;
}

export interface SendPass {
  sent: number;
  retried: number;
  failed: number;
}

/** Delay before the next attempt after `attempts` failed ones: base × 2^(attempts−1), capped. */
export function backoffMs(attempts: number, baseMs: number, maxMs: number): number {
  return Math.min(maxMs, baseMs * 2 ** Math.max(0, attempts - 1));
}

/** The Message-ID of outbox row `id`: stable across attempts, so a resend is recognisably the same message. */
export function messageIdFor(id: string, from: string): string {
  const domain = from.split("@").pop()?.replace(/[>\s]/g, "") || "localhost";
  return `<notification-${id}@${domain}>`;
}

const CLAIM = `SELECT id::text AS id, kind, recipient, license_id, data, dedupe_key, state, attempts,
                      next_attempt_at, last_error, created_at, sent_at
                 FROM notification_outbox
                WHERE state = 'pending' AND next_attempt_at <= $1
                ORDER BY next_attempt_at, id LIMIT 1 FOR UPDATE SKIP LOCKED`;

type Outcome = "sent" | "retried" | "failed" | "none";

export interface NotificationSender {
  /** Sends due messages until none is due or batchSize were handled. */
  sendDue(): Promise<SendPass>;
}

export function createNotificationSender(
  deps: { db: Db; clock: Clock; logger: Logger },
  transport: Pick<Transporter, "sendMail">,
  options: SenderOptions,
): NotificationSender {
  const maxAttempts = options.maxAttempts ?? 8;
  const base = options.baseBackoffMs ?? 60_000;
  const cap = options.maxBackoffMs ?? 6 * 60 * 60_000;
  const batchSize = options.batchSize ?? 200;
  const concurrency = options.concurrency ?? 2;

  const sendOne = (): Promise<Outcome> =>
    withTransaction(deps.db, async (tx) => {
      const now = deps.clock.now();
      const row = (await tx.query<NotificationRow>(CLAIM, [now])).rows[0];
      if (!row) return "none";
      const attempts = row.attempts + 1;
      let email: ReturnType<typeof renderNotification> | undefined;
      let error: string;
      try {
        email = renderNotification(row.kind, row.data);
        await transport.sendMail({
          from: options.from,
          to: row.recipient,
          subject: email.subject,
          text: email.text,
          html: email.html,
          messageId: messageIdFor(row.id, options.from),
          headers: { "X-Notification-Kind": row.kind },
        });
        error = "";
      } catch (err) {
        error = (err as Error).message.slice(0, 1000) || "send failed";
      }
      if (!error) {
        // Outside the try: a database failure here is not an SMTP failure; it rolls back and the message is
        // sent again with the same Message-ID (the residual window above).
        await tx.query(
          "UPDATE notification_outbox SET state = 'sent', attempts = $2, sent_at = $3, last_error = NULL WHERE id = $1",
          [row.id, attempts, deps.clock.now()],
        );
        return "sent";
      }
      // A message whose template cannot render never will; SMTP failures (refusals included: a relay's
      // 5xx may be a passing misconfiguration) are retried until the attempts run out.
      const permanent = email === undefined;
      const failed = permanent || attempts >= maxAttempts;
      await tx.query(
        `UPDATE notification_outbox SET attempts = $2, last_error = $3, state = $4, next_attempt_at = $5
          WHERE id = $1`,
        [
          row.id,
          attempts,
          error,
          failed ? "failed" : "pending",
          new Date(deps.clock.now().getTime() + backoffMs(attempts, base, cap)),
        ],
      );
      (failed ? deps.logger.error : deps.logger.warn).call(
        deps.logger,
        { notificationId: row.id, kind: row.kind, attempts, error },
        failed
          ? "notification failed; it stays listed for an admin retry"
          : "notification send failed; will retry",
      );
      return failed ? "failed" : "retried";
    });

  return {
    async sendDue() {
      const pass: SendPass = { sent: 0, retried: 0, failed: 0 };
      let handled = 0;
      const worker = async () => {
        while (handled < batchSize) {
          handled++;
          const outcome = await sendOne();
          if (outcome === "none") return;
          pass[outcome]++;
        }
      };
      await Promise.all(Array.from({ length: concurrency }, worker));
      return pass;
    },
  };
}

/** Runs the sender every `intervalMs` on this replica; failures (database down) are logged and retried. */
export function startNotificationSender(
  deps: { db: Db; clock: Clock; logger: Logger },
  sender: NotificationSender,
  intervalMs: number,
): PeriodicTask<SendPass | undefined> {
  return startPeriodic(async () => {
    try {
      return await sender.sendDue();
    } catch (err) {
      deps.logger.warn({ err }, "notification sender pass failed; the next pass retries");
      return undefined;
    }
  }, intervalMs);
}
