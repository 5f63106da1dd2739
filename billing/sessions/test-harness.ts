/**
 * Test infrastructure for the sessions API (not a fake: every part is real). A fresh database on the run's
 * real PostgreSQL with billing's migrations, BillingDeps built from billing's own config loader, licenses
 * created through billing's admin code path, and the sessions router on a real HTTP server.
 */

import type { AddressInfo } from "node:net";
import express from "express";
import pg from "pg";
import { pino } from "pino";
import { Registry } from "prom-client";
import Stripe from "stripe";
import type { Clock, ManualClock } from "../../lib/clock.js";
import type { LicenseTier } from "../../lib/domain.js";
import { generateSigningKey, type OfflineTokenKeySet } from "../../lib/offline-tokens/index.js";
import { fakeStripePriceEnv } from "../../test-support/fake-stripe/index.js";
import { testDatabase } from "../../test-support/postgres/index.js";
import { createGrantedLicense, lockedLicense, revoke } from "../admin/actions.js";
import { loadConfig } from "../config.js";
import { migrate } from "../db/migrate.js";
import { withTransaction } from "../db/tx.js";
import type { BillingDeps } from "../deps.js";
import { errorMiddleware, notFoundHandler } from "../http/errors.js";
import { rejectNulCharacters } from "../http/nul-characters.js";
import { type SessionsOptions, sessionsRouter } from "./router.js";

export interface SessionsHarness {
  pool: pg.Pool;
  deps: BillingDeps;
  keySet: OfflineTokenKeySet;
  url: string;
  // biome-ignore lint/suspicious/noExplicitAny: response bodies are arbitrary JSON the tests assert on
  post(path: string, body: unknown, token?: string): Promise<{ status: number; body: any; headers: Headers }>;
  createLicense(
    tier: LicenseTier,
    options?: { maxContainers?: number; seats?: number; organization?: string },
  ): Promise<{ id: string; key: string }>;
  revokeLicense(id: string): Promise<void>;
  close(): Promise<void>;
}

export async function startSessionsHarness(
  clock: Clock,
  options: SessionsOptions = {},
  dbPrefix = "sessions",
): Promise<SessionsHarness> {
  const pool = new pg.Pool({ connectionString: await testDatabase(dbPrefix), max: 20 });
  await migrate(pool);
  const config = loadConfig({
    STRIPE_SECRET_KEY: "sk_test_sessions",
    STRIPE_WEBHOOK_SECRET: "whsec_sessions",
    ...fakeStripePriceEnv(),
    ADMIN_TOKEN: "a".repeat(40),
    DATABASE_URL: "postgres://unused/unused",
  });
  const deps: BillingDeps = {
    config,
    db: pool,
    stripe: new Stripe("sk_test_sessions"),
    clock,
    logger: pino({ level: "silent" }),
    metrics: new Registry(),
  };
  const keySet = options.keySet ?? { current: await generateSigningKey("test-current") };
  const app = express();
  app.use(express.json());
  app.use(rejectNulCharacters);
  // Heartbeat statuses written in the request unless a test asks for the publisher (ADR 0270).
  app.use(sessionsRouter(deps, { cluster: null, statusFlushMs: 0, ...options, keySet }));
  app.use(notFoundHandler);
  app.use(errorMiddleware);
  const server = app.listen(0, "127.0.0.1");
  await new Promise<void>((resolve) => server.once("listening", () => resolve()));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const ctx = (actor: string, action: string) => ({
    actor,
    action,
    now: clock.now(),
    paymentGraceMs: config.paymentGraceMs,
  });

  return {
    pool,
    deps,
    keySet,
    url,
    async post(path, body, token) {
      const headers: Record<string, string> = { "content-type": "application/json" };
      if (token) headers.authorization = `Bearer ${token}`;
      const response = await fetch(`${url}${path}`, { method: "POST", headers, body: JSON.stringify(body) });
      return { status: response.status, body: await response.json(), headers: response.headers };
    },
    async createLicense(tier, opts = {}) {
      const { license, key } = await withTransaction(pool, (tx) =>
        createGrantedLicense(
          tx,
          {
            organization: opts.organization ?? "acme",
            customerEmail: "owner@acme.example",
            tier,
            provisioningType: "pilot",
            durationDays: 30,
            seats: opts.seats ?? 1,
            workstations: 0,
            ...(opts.maxContainers !== undefined ? { maxContainers: opts.maxContainers } : {}),
          },
          ctx("admin", "license.created"),
        ),
      );
      return { id: license.id, key };
    },
    async revokeLicense(id) {
      await withTransaction(pool, async (tx) =>
        revoke(tx, await lockedLicense(tx, id), ctx("admin", "license.revoked")),
      );
    },
    async close() {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
      await pool.end();
    },
  };
}

/** The last heartbeat answer of a container kept online. */
export interface OnlineHeartbeat {
  sessionToken: string;
  offlineToken: string;
  offlineTokenExpiresAt: string;
  gracePeriodRemaining: number;
}

/**
 * Keeps a container online for `forMs` of manual-clock time the way the session agent does: a heartbeat
 * every 25 minutes (inside the 30-minute seat expiry), and on 401 `session_token_expired` (every 24 h, ADR
 * 0161) a validate of the same container, then on with the new token. Returns the last heartbeat's answer.
 */
export async function stayOnline(
  h: SessionsHarness,
  clock: ManualClock,
  licenseKey: string,
  containerId: string,
  sessionToken: string,
  forMs: number,
  stepMs = 25 * 60_000,
): Promise<OnlineHeartbeat> {
  let token = sessionToken;
  let last: OnlineHeartbeat | undefined;
  for (let elapsed = 0; elapsed < forMs; ) {
    const step = Math.min(stepMs, forMs - elapsed);
    clock.advance(step);
    elapsed += step;
    let hb = await h.post("/v1/sessions/heartbeat", {}, token);
    if (hb.status === 401 && hb.body.error?.code === "session_token_expired") {
      const again = await h.post("/v1/sessions/validate", {
        licenseKey,
        containerId,
        containerType: "docker",
      });
      if (again.status !== 201)
        throw new Error(`re-validate answered ${again.status} ${JSON.stringify(again.body)}`);
      token = again.body.sessionToken;
      hb = await h.post("/v1/sessions/heartbeat", {}, token);
    }
    if (hb.status !== 200 || hb.body.status === "expired")
      throw new Error(`heartbeat answered ${hb.status} ${JSON.stringify(hb.body)}`);
    last = { sessionToken: token, ...hb.body };
  }
  if (!last) throw new Error("stayOnline needs forMs > 0");
  return last;
}
