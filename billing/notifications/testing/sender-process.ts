/**
 * Test infrastructure: one sender pass in its own process (DATABASE_URL, SMTP_HOST/SMTP_PORT), so a test can
 * kill it with SIGKILL mid-send, as a crashed replica dies: no cleanup runs, the kernel closes its sockets.
 */
import pg from "pg";
import pino from "pino";
import { systemClock } from "../../../lib/clock.js";
import { createNotificationSender } from "../sender.js";
import { createSmtpTransport } from "../transport.js";

const pool = new pg.Pool({ connectionString: process.env.DATABASE_URL, max: 2 });
const transport = createSmtpTransport(
  { host: "127.0.0.1", port: Number(process.env.SMTP_PORT), auth: undefined, from: "billing@coditect.test" },
  { pool: false },
);
const sender = createNotificationSender(
  { db: pool, clock: systemClock, logger: pino({ level: "silent" }) },
  transport,
  { from: "billing@coditect.test", concurrency: 1 },
);
console.log("sender started");
const pass = await sender.sendDue();
console.log(JSON.stringify(pass));
await pool.end();
