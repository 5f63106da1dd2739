/**
 * Billing webhook throughput: verified, idempotent Stripe webhook events per second (HTTP + signature
 * verification + ledger insert in a transaction + handler) against a plain INSERT of the same ledger rows,
 * measured in the same run on the same real PostgreSQL. Also: duplicate deliveries, and full
 * subscription.updated handling (refetch from the fake Stripe + license update + audit).
 * Run: npm run bench -- billing
 */
import type { AddressInfo } from "node:net";
import { loadavg } from "node:os";
import pg from "pg";
import pino from "pino";
import { Registry } from "prom-client";
import Stripe from "stripe";
import { createApp } from "../billing/app.js";
import { loadConfig } from "../billing/config.js";
import { migrate } from "../billing/db/migrate.js";
import { createStripeClient } from "../billing/stripe/client.js";
import { ManualClock } from "../lib/clock.js";
import { fakeStripePriceEnv, startFakeStripe } from "../test-support/fake-stripe/index.js";
import { startPostgres } from "../test-support/postgres/server.js";
import { writeBenchResult } from "./write-result.js";

const SECRET = "whsec_bench";
const EVENTS = 2_000;
const FULL_EVENTS = 300;
const CONCURRENCY = 8;

async function pooled<T>(items: T[], concurrency: number, work: (item: T) => Promise<void>): Promise<number> {
  const started = process.hrtime.bigint();
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < items.length) await work(items[next++]!);
    }),
  );
  return Number(process.hrtime.bigint() - started) / 1e9;
}

const postgres = await startPostgres();
const clock = new ManualClock("2026-06-01T00:00:00Z");
const fake = await startFakeStripe({ now: () => clock.now() });
const pool = new pg.Pool({ connectionString: await postgres.createDatabase("bench_billing"), max: 10 });
try {
  await migrate(pool);
  const config = loadConfig({
    STRIPE_SECRET_KEY: "sk_test_bench",
    STRIPE_WEBHOOK_SECRET: SECRET,
    ...fakeStripePriceEnv(),
    ADMIN_TOKEN: "bench-admin-token-0123456789abcdef012345",
    STRIPE_API_URL: fake.url,
    LOG_LEVEL: "silent",
  });
  const app = createApp({
    config,
    db: pool,
    stripe: createStripeClient(config),
    clock,
    logger: pino({ level: "silent" }),
    metrics: new Registry(),
  });
  const server = app.listen(0, "127.0.0.1");
  await new Promise((r) => server.once("listening", r));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1/webhooks/stripe`;
  const signer = new Stripe("sk_test_signer");
  const now = Math.floor(clock.now().getTime() / 1000);
  const post = async (event: { id: string }, expectOutcome: string) => {
    const payload = JSON.stringify(event);
    const res = await fetch(url, {
      method: "POST",
      headers: {
        "content-type": "application/json",
        "stripe-signature": signer.webhooks.generateTestHeaderString({
          payload,
          secret: SECRET,
          timestamp: now,
        }),
      },
      body: payload,
    });
    const body = (await res.json()) as { outcome?: string };
    if (res.status !== 200 || body.outcome !== expectOutcome) {
      throw new Error(
        `event ${event.id}: expected ${expectOutcome}, got ${res.status} ${JSON.stringify(body)}`,
      );
    }
  };
  const makeEvents = (prefix: string, n: number) =>
    Array.from({ length: n }, (_, i) => ({
      id: `evt_${prefix}_${i}`,
      object: "event",
      type: "customer.tax_id.updated",
      created: now,
      data: { object: { id: `txi_${prefix}_${i}`, object: "tax_id" } },
    }));

  // Warm up the HTTP path, the pool and the JIT.
  const warmup = makeEvents("warmup", 200);
  await pooled(warmup, CONCURRENCY, (e) => post(e, "ignored"));

  // Baseline: the same ledger rows written with plain INSERTs (no HTTP, no verification, no idempotency).
  const baselineEvents = makeEvents("baseline", EVENTS);
  const baselineSeconds = await pooled(baselineEvents, CONCURRENCY, async (e) => {
    await pool.query(
      "INSERT INTO stripe_events (id, type, created_at, processed_at, object_id, outcome) VALUES ($1, $2, $3, $4, $5, 'ignored')",
      [e.id, e.type, new Date(e.created * 1000), clock.now(), e.data.object.id],
    );
  });

  const webhookEvents = makeEvents("webhook", EVENTS);
  const webhookSeconds = await pooled(webhookEvents, CONCURRENCY, (e) => post(e, "ignored"));
  const duplicateSeconds = await pooled(webhookEvents, CONCURRENCY, (e) => post(e, "duplicate"));
  const ledger = await pool.query(
    "SELECT count(*)::int AS n FROM stripe_events WHERE id LIKE 'evt_webhook_%'",
  );
  if (ledger.rows[0].n !== EVENTS)
    throw new Error(`ledger holds ${ledger.rows[0].n} webhook rows, expected ${EVENTS}`);

  // Full handling: subscription.updated refetches the subscription and its invoice from the (fake) Stripe.
  const session = fake.store.createCheckoutSession({
    mode: "subscription",
    line_items: [{ price: "price_fake_pro_monthly", quantity: "1" }],
    metadata: { organization: "bench" },
    customer: fake.store.createCustomer({ email: "bench@bench.test" }).id,
  });
  const completed = fake.store.completeCheckout(session.id);
  for (const e of completed.events)
    await post(e, e.type === "checkout.session.completed" ? "processed" : "before_fulfilment");
  const subscription = completed.subscription;
  const fullEvents = Array.from({ length: FULL_EVENTS }, (_, i) => ({
    id: `evt_full_${i}`,
    object: "event",
    type: "customer.subscription.updated",
    created: now,
    data: { object: subscription },
  }));
  const fullSeconds = await pooled(fullEvents, CONCURRENCY, (e) => post(e, "processed"));

  server.closeAllConnections();
  await new Promise((r) => server.close(r));

  const rate = (n: number, s: number) => Math.round(n / s);
  const baselinePerSecond = rate(EVENTS, baselineSeconds);
  const result = {
    concurrency: CONCURRENCY,
    // Other work on the machine skews absolute numbers; the ratios compare runs made under the same load.
    loadAverageAtEnd: loadavg().map((l) => Number(l.toFixed(2))),
    baseline: {
      what: "plain INSERT of the same stripe_events rows",
      events: EVENTS,
      perSecond: baselinePerSecond,
    },
    webhook: {
      what: "signed POST → constructEvent → ledger insert + handler in one transaction (unknown type, acknowledged)",
      events: EVENTS,
      perSecond: rate(EVENTS, webhookSeconds),
      ratioToBaseline: Number((rate(EVENTS, webhookSeconds) / baselinePerSecond).toFixed(3)),
    },
    duplicates: {
      what: "the same events delivered again: verified, found in the ledger, no effect",
      events: EVENTS,
      perSecond: rate(EVENTS, duplicateSeconds),
      ratioToBaseline: Number((rate(EVENTS, duplicateSeconds) / baselinePerSecond).toFixed(3)),
    },
    subscriptionUpdated: {
      what: "customer.subscription.updated: advisory lock, license row lock, refetch subscription + invoice from the local fake Stripe, update + audit",
      events: FULL_EVENTS,
      perSecond: rate(FULL_EVENTS, fullSeconds),
      ratioToBaseline: Number((rate(FULL_EVENTS, fullSeconds) / baselinePerSecond).toFixed(3)),
    },
    verified: { ledgerRowsForWebhookEvents: ledger.rows[0].n, duplicatesAcknowledgedWithoutEffect: EVENTS },
  };
  console.log(JSON.stringify(result, null, 2));
  writeBenchResult("billing", "webhooks", result);
} finally {
  await pool.end();
  await fake.stop();
  await postgres.stop();
}
