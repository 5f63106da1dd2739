/**
 * Test infrastructure for the ops tests that read what billing logs: the real app on a fresh database
 * with its log lines written to a sink the test reads. No Stripe behind it (port 9: nothing answers), so
 * only routes that never call Stripe are exercised.
 */
import type { AddressInfo } from "node:net";
import type { Writable } from "node:stream";
import pg from "pg";
import { Registry } from "prom-client";
import Stripe from "stripe";
import { ManualClock } from "../../lib/clock.js";
import { fakeStripePriceEnv } from "../../test-support/fake-stripe/index.js";
import { testDatabase } from "../../test-support/postgres/index.js";
import { createApp } from "../app.js";
import { loadConfig } from "../config.js";
import { migrate } from "../db/migrate.js";
import { createLogger } from "./logger.js";

export interface LoggingApp {
  url: string;
  stop(): Promise<void>;
}

/** The app at `info` level logging to `sink`, with ADMIN_TOKEN `adminToken` and `env` on top. */
export async function startLoggingApp(options: {
  database: string;
  adminToken: string;
  sink: Writable;
  env?: Record<string, string>;
}): Promise<LoggingApp> {
  const pool = new pg.Pool({ connectionString: await testDatabase(options.database) });
  await migrate(pool);
  const config = loadConfig({
    STRIPE_SECRET_KEY: "sk_test_x",
    STRIPE_WEBHOOK_SECRET: "whsec_x",
    ...fakeStripePriceEnv(),
    ADMIN_TOKEN: options.adminToken,
    ...options.env,
  });
  const app = createApp({
    config,
    db: pool,
    stripe: new Stripe("sk_test_x", { host: "127.0.0.1", port: 9, protocol: "http", maxNetworkRetries: 0 }),
    clock: new ManualClock(),
    logger: createLogger("info", options.sink),
    metrics: new Registry(),
  });
  const server = app.listen(0, "127.0.0.1");
  await new Promise((r) => server.once("listening", r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    async stop() {
      await new Promise<void>((r) => server.close(() => r()));
      await pool.end();
    },
  };
}
