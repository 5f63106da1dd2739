/**
 * Test harness for billing tests: the real app on a free port, a fresh real PostgreSQL database, the
 * fake Stripe (test infrastructure) reached through the real Stripe SDK, and one ManualClock shared by
 * the app and the fake. Webhooks are signed with the Stripe SDK's generateTestHeaderString. Admin calls
 * carry a Google ID token of TEST_ADMIN_EMAIL signed by a local stand-in for Google's keys (ADR 0165);
 * the break-glass token stays on (TEST_ADMIN_TOKEN) for the tests about it.
 */

import type { Server } from "node:http";
import type { AddressInfo } from "node:net";
import type { KubeConfig } from "@kubernetes/client-node";
import pg from "pg";
import pino from "pino";
import { Registry } from "prom-client";
import Stripe from "stripe";
import { ManualClock } from "../../lib/clock.js";
import type { KubeConnection } from "../../lib/kube/connection.js";
import {
  type FakeGoogleIdentity,
  startFakeGoogleIdentity,
} from "../../test-support/fake-google-identity/index.js";
import {
  type FakeStripe,
  fakeStripePriceEnv,
  startFakeStripe,
} from "../../test-support/fake-stripe/index.js";
import { testDatabase } from "../../test-support/postgres/index.js";
import { createApp } from "../app.js";
import { KubeClusterFeed } from "../cluster/feed.js";
import { loadConfig } from "../config.js";
import { migrate } from "../db/migrate.js";
import type { BillingDeps } from "../deps.js";
import { createHttpServer, type HttpTimeouts } from "../http/node-server.js";
import { createStripeClient } from "../stripe/client.js";

export const TEST_WEBHOOK_SECRET = "whsec_test_billing_harness";
export const TEST_ADMIN_TOKEN = "test-admin-token-0123456789abcdef0123456789";
/** The admin the harness's admin() calls authenticate as (on ADMIN_EMAILS). */
export const TEST_ADMIN_EMAIL = "admin@coditect.test";
export const TEST_ADMIN_AUDIENCE = "billing-harness.apps.googleusercontent.com";

export interface BillingHarness {
  url: string;
  fake: FakeStripe;
  pool: pg.Pool;
  clock: ManualClock;
  deps: BillingDeps;
  /** POSTs an event to the webhook route, signed at the clock's time unless told otherwise. */
  sendEvent(
    event: unknown,
    options?: { timestampSeconds?: number; secret?: string; rawBody?: string },
  ): Promise<Response>;
  /** Calls the admin API as TEST_ADMIN_EMAIL (a Google ID token), or with `token` as the bearer. */
  admin(method: string, path: string, body?: unknown, token?: string): Promise<Response>;
  /** `Bearer <Google ID token>` of an admin, minted at the clock's time. */
  adminAuthorization(email?: string): Promise<string>;
  google: FakeGoogleIdentity;
  /** Creates a checkout through the API and completes it in the fake; returns ids and the events Stripe emitted. */
  buy(
    items: { product: string; quantity: number }[],
    organization?: string,
    email?: string,
  ): Promise<Purchase>;
  stop(): Promise<void>;
}

export interface Purchase {
  sessionId: string;
  subscriptionId: string;
  events: { id: string; type: string }[];
}

export async function startBillingHarness(
  options: {
    /**
     * The cluster the feed writes to: a connection (kubeConnectionFor(target)), or a client-node KubeConfig
     * from the API test server (tests that also read with it as an independent client), whose current
     * context becomes the feed's connection.
     */
    kubeConfig?: KubeConfig | KubeConnection;
    /** Overrides; `undefined` unsets a default (e.g. ADMIN_TOKEN: break-glass off). */
    env?: Record<string, string | undefined>;
    httpTimeouts?: HttpTimeouts;
    /** A database to use instead of a fresh one from the vitest run's server (benchmarks outside vitest). */
    databaseUrl?: string;
  } = {},
): Promise<BillingHarness> {
  const clock = new ManualClock("2026-06-01T00:00:00Z");
  const fake = await startFakeStripe({ now: () => clock.now() });
  const google = await startFakeGoogleIdentity();
  const pool = new pg.Pool({
    connectionString: options.databaseUrl ?? (await testDatabase("billing")),
    max: 8,
  });
  await migrate(pool);
  const config = loadConfig({
    STRIPE_SECRET_KEY: "sk_test_billing_harness",
    STRIPE_WEBHOOK_SECRET: TEST_WEBHOOK_SECRET,
    ...fakeStripePriceEnv(),
    ADMIN_TOKEN: TEST_ADMIN_TOKEN,
    ADMIN_EMAILS: TEST_ADMIN_EMAIL,
    ADMIN_ID_TOKEN_AUDIENCES: TEST_ADMIN_AUDIENCE,
    ADMIN_GOOGLE_JWKS_URL: google.jwksUrl,
    STRIPE_API_URL: fake.url,
    PUBLIC_BASE_URL: "http://billing.test",
    LOG_LEVEL: "silent",
    // Production's setting (ADR 0160): limits counted in the shared PostgreSQL table.
    RATE_LIMIT_STORE: "postgres",
    ...options.env,
  });
  const logger = pino({ level: "silent" });
  const feed = options.kubeConfig ? new KubeClusterFeed(options.kubeConfig, pool, logger, clock) : undefined;
  const deps: BillingDeps = {
    config,
    db: pool,
    stripe: createStripeClient(config),
    clock,
    logger,
    kube: feed,
    metrics: new Registry(),
  };
  const server: Server = createHttpServer(createApp(deps), logger, options.httpTimeouts).listen(
    0,
    "127.0.0.1",
  );
  await new Promise((resolve) => server.once("listening", resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const signer = new Stripe("sk_test_signer");

  const harness: BillingHarness = {
    url,
    fake,
    pool,
    clock,
    deps,
    async sendEvent(event, opts = {}) {
      const payload = opts.rawBody ?? JSON.stringify(event);
      const header = signer.webhooks.generateTestHeaderString({
        payload,
        secret: opts.secret ?? TEST_WEBHOOK_SECRET,
        timestamp: opts.timestampSeconds ?? Math.floor(clock.now().getTime() / 1000),
      });
      return fetch(`${url}/v1/webhooks/stripe`, {
        method: "POST",
        headers: { "content-type": "application/json", "stripe-signature": header },
        body: payload,
      });
    },
    google,
    async adminAuthorization(email = TEST_ADMIN_EMAIL) {
      return `Bearer ${await google.idToken({ email, audience: TEST_ADMIN_AUDIENCE, now: clock.now() })}`;
    },
    async admin(method, path, body, token) {
      return fetch(`${url}/v1/admin${path}`, {
        method,
        headers: {
          authorization: token === undefined ? await harness.adminAuthorization() : `Bearer ${token}`,
          ...(body === undefined ? {} : { "content-type": "application/json" }),
        },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
    },
    async buy(items, organization = "acme", email = "dev@acme.test") {
      const response = await fetch(`${url}/v1/checkout`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ organization, customerEmail: email, items }),
      });
      if (response.status !== 201)
        throw new Error(`checkout failed: ${response.status} ${await response.text()}`);
      const { checkoutSessionId } = (await response.json()) as { checkoutSessionId: string };
      const completed = fake.store.completeCheckout(checkoutSessionId);
      return {
        sessionId: checkoutSessionId,
        subscriptionId: completed.subscription.id,
        events: completed.events.map((e) => ({ id: e.id, type: String(e.type) })),
      };
    },
    async stop() {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
      await pool.end();
      await feed?.client.close();
      await fake.stop();
      await google.stop();
    },
  };
  return harness;
}

/** The full event objects the fake emitted, by id. */
export function eventsById(fake: FakeStripe, ids: string[]): Record<string, unknown>[] {
  return ids.map((id) => {
    const event = fake.store.events.find((e) => e.id === id);
    if (!event) throw new Error(`fake Stripe has no event ${id}`);
    return event;
  });
}
