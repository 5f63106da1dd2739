/**
 * The receiving end of bench/notifications-outbox.bench.ts in its own process (load and measurement apart):
 * test-support/smtp's real SMTP server; prints `port <n>` once listening, then `count <n>` whenever a line
 * `count` arrives on stdin; exits when stdin closes.
 */
import { createInterface } from "node:readline";
import { startSmtpCatcher } from "../test-support/smtp/index.js";

const smtp = await startSmtpCatcher();
console.log(`port ${smtp.port}`);
const lines = createInterface({ input: process.stdin });
lines.on("line", (line) => {
  if (line.trim() === "count") console.log(`count ${smtp.messages.length}`);
});
lines.on("close", () => {
  void smtp.stop().then(() => process.exit(0));
});
