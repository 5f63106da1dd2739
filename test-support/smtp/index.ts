/**
 * A real SMTP receiving end for tests and benchmarks (smtp-server), every accepted message parsed with
 * mailparser. Tests steer the conversation: refuse the next messages with a 4xx, or hold DATA unanswered
 * (a hung relay) until released. Only messages the server answered 250 to are in `messages`: that is
 * what "delivered" means in SMTP.
 */
import type { AddressInfo } from "node:net";
import { type ParsedMail, simpleParser } from "mailparser";
import { SMTPServer } from "smtp-server";

export interface CaughtMessage {
  messageId: string;
  to: string[];
  from: string;
  subject: string;
  text: string;
  html: string;
  headers: Record<string, string>;
  raw: string;
}

export interface SmtpCatcher {
  host: string;
  port: number;
  messages: CaughtMessage[];
  /** Answer the next `count` messages with 451 (temporary failure). */
  refuseNext(count: number): void;
  /** Leave DATA unanswered until release(); the held messages are then refused (never delivered). */
  hang(): void;
  release(): void;
  /** How many messages are being held unanswered right now. */
  held(): number;
  stop(): Promise<void>;
}

function toCaught(mail: ParsedMail, raw: string): CaughtMessage {
  const addresses = (a: ParsedMail["to"]) =>
    (Array.isArray(a) ? a : a ? [a] : []).flatMap((x) => x.value.map((v) => v.address ?? ""));
  const headers: Record<string, string> = {};
  for (const line of mail.headerLines) headers[line.key] = line.line.slice(line.key.length + 1).trim();
  return {
    messageId: mail.messageId ?? "",
    to: addresses(mail.to),
    from: mail.from?.value[0]?.address ?? "",
    subject: mail.subject ?? "",
    text: mail.text ?? "",
    html: typeof mail.html === "string" ? mail.html : "",
    headers,
    raw,
  };
}

export async function startSmtpCatcher(): Promise<SmtpCatcher> {
  const messages: CaughtMessage[] = [];
  let refuse = 0;
  let hanging = false;
  const heldCallbacks: ((err?: Error | null) => void)[] = [];
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ["STARTTLS"],
    logger: false,
    // A pooled client keeps its connection open; stop() should not wait 30 s for it.
    closeTimeout: 500,
    onData(stream, _session, callback) {
      const chunks: Buffer[] = [];
      stream.on("data", (c: Buffer) => chunks.push(c));
      stream.on("end", () => {
        if (hanging) {
          heldCallbacks.push(callback);
          return;
        }
        if (refuse > 0) {
          refuse--;
          const err = Object.assign(new Error("try again later"), { responseCode: 451 });
          callback(err);
          return;
        }
        const raw = Buffer.concat(chunks).toString("utf8");
        simpleParser(raw)
          .then((mail) => {
            messages.push(toCaught(mail, raw));
            callback();
          })
          .catch((err: Error) => callback(err));
      });
    },
  });
  server.on("error", () => undefined);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.server.address() as AddressInfo;
  const releaseAll = () => {
    hanging = false;
    for (const cb of heldCallbacks.splice(0)) {
      cb(Object.assign(new Error("released without delivery"), { responseCode: 451 }));
    }
  };
  return {
    host: "127.0.0.1",
    port,
    messages,
    refuseNext(count) {
      refuse = count;
    },
    hang() {
      hanging = true;
    },
    release: releaseAll,
    held: () => heldCallbacks.length,
    async stop() {
      releaseAll();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
