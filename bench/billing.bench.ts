/**
 * Billing webhook throughput (issue 18 goal 6): verified, idempotent Stripe webhook events per second
 * against a plain INSERT of the same ledger rows, measured in the same run on the same real PostgreSQL.
 * Billing runs as `npm run billing` runs it (billing/server.ts in its own process: production middleware,
 * the shared PostgreSQL rate limits, LOG_LEVEL info, the cluster feed on against the Kubernetes API test
 * server); the load comes from a separate process (bench/billing-webhooks-load.ts); the fake Stripe and
 * the API test server run in this process.
 * Measured: unknown-type events (verified + ledger, acknowledged), the same events delivered again
 * (duplicates), and customer.subscription.updated with the refetch of the subscription (and its invoice)
 * from the fake Stripe + license update + audit + mirror to the cluster — all on one subscription (every
 * event waits for the one before: the advisory lock) and spread over SUBSCRIPTIONS subscriptions.
 * Run: npm run bench -- billing   (small proof run: BENCH_WEBHOOK_SCALE=0.1)
 * Profile billing: BENCH_BILLING_NODE_OPTIONS="--cpu-prof --cpu-prof-dir=/tmp/prof" npm run bench -- billing
 */
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { loadavg, tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import pg from "pg";
import Stripe from "stripe";
import { type BillingProcess, listeningPort, runBilling } from "../billing/testing/process.js";
import { fakeStripePriceEnv, startFakeStripe } from "../test-support/fake-stripe/index.js";
import { startKubeApiServer } from "../test-support/kube-apiserver/index.js";
import { startPostgres } from "../test-support/postgres/server.js";
import { postgresCpuSeconds, postmasterPid, processCpuSeconds } from "./billing-cpu.js";
import type { WebhookLoadJob, WebhookLoadResult } from "./billing-webhooks-load.js";
import type { ClosedLoopResult } from "./closed-loop.js";
import { writeBenchResult } from "./write-result.js";

const SCALE = Number(process.env.BENCH_WEBHOOK_SCALE ?? 1);
const EVENTS = Math.max(100, Math.round(4_000 * SCALE));
const FULL_EVENTS = Math.max(50, Math.round(1_000 * SCALE));
const SUBSCRIPTIONS = 16;
const CONCURRENCY = 8;
const SECRET = "whsec_bench";
const here = dirname(fileURLToPath(import.meta.url));
const loadBefore = loadavg().map((l) => +l.toFixed(2));

const dir = mkdtempSync(join(tmpdir(), "webhook-bench-"));
let jobs = 0;
/** Billing's log lines so far (each one a write to stdout). */
let logLines = (): number => 0;

/** Billing's and PostgreSQL's CPU seconds so far (bench/billing-cpu.ts). */
let cpuSeconds = (): { billing: number; postgres: number } => ({ billing: 0, postgres: 0 });

/**
 * Runs one load job and adds what each event cost, independent of the machine's load: billing's log lines,
 * and the CPU milliseconds of billing, of PostgreSQL (all of it: backends and background processes) and of
 * the load generator.
 */
async function measured(job: WebhookLoadJob) {
  const before = logLines();
  const cpuBefore = cpuSeconds();
  const result = await runLoad(job);
  const cpuAfter = cpuSeconds();
  // Billing writes its lines buffered, at least every 200 ms (ADR 0306): let the last ones arrive.
  await new Promise((resolve) => setTimeout(resolve, 400));
  const perEvent = (seconds: number) => +((seconds * 1000) / job.count).toFixed(3);
  return {
    ...result,
    billingLogLinesPerEvent: +((logLines() - before) / job.count).toFixed(2),
    billingCpuMsPerEvent: perEvent(cpuAfter.billing - cpuBefore.billing),
    postgresCpuMsPerEvent: perEvent(cpuAfter.postgres - cpuBefore.postgres),
  };
}

function runLoad(job: WebhookLoadJob): Promise<WebhookLoadResult> {
  const file = join(dir, `job-${jobs++}.json`);
  writeFileSync(file, JSON.stringify(job));
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ["--import", "tsx", join(here, "billing-webhooks-load.ts"), file], {
      stdio: ["ignore", "pipe", "inherit"],
    });
    let out = "";
    child.stdout.on("data", (d) => (out += d));
    child.on("exit", (code) => {
      if (code !== 0) return reject(new Error(`load generator (${job.prefix}) exited ${code}`));
      const result = JSON.parse(out.trim().split("\n").pop()!) as WebhookLoadResult;
      if (result.failures > 0)
        return reject(
          new Error(`${job.prefix}: ${result.failures} failed: ${JSON.stringify(result.statuses)}`),
        );
      resolve(result);
    });
  });
}

const postgres = await startPostgres();
const fake = await startFakeStripe({});
const kube = await startKubeApiServer({ crdDirs: [join(here, "..", "crds")] });
const kubeconfig = join(dir, "kubeconfig");
kube.writeKubeconfig(kubeconfig);
const databaseUrl = await postgres.createDatabase("bench_webhooks");
const db = new pg.Pool({ connectionString: databaseUrl, max: 2 });
let billing: BillingProcess | undefined;
try {
  const nodeOptions = process.env.BENCH_BILLING_NODE_OPTIONS;
  billing = runBilling({
    PORT: "0",
    DATABASE_URL: databaseUrl,
    STRIPE_SECRET_KEY: "sk_test_bench",
    STRIPE_WEBHOOK_SECRET: SECRET,
    STRIPE_API_URL: fake.url,
    ...fakeStripePriceEnv(),
    ADMIN_TOKEN: "bench-admin-token-0123456789abcdef012345",
    KUBECONFIG: kubeconfig,
    LOG_LEVEL: "info",
    ...(nodeOptions ? { NODE_OPTIONS: nodeOptions } : {}),
  });
  const url = `http://127.0.0.1:${await listeningPort(billing)}`;
  const running = billing;
  logLines = () => running.output().split("\n").length - 1;
  const postmaster = postmasterPid(postgres.port);
  const billingPid = running.child.pid!;
  cpuSeconds = () => ({ billing: processCpuSeconds(billingPid), postgres: postgresCpuSeconds(postmaster) });
  const base = { url, secret: SECRET, concurrency: CONCURRENCY };

  // Paid subscriptions, fulfilled through the webhook as Stripe delivers them (each from its own address).
  const signer = new Stripe("sk_test_signer");
  const deliver = async (event: { id: string; type: string }, i: number) => {
    const payload = JSON.stringify(event);
    const res = await fetch(`${url}/v1/webhooks/stripe`, {
      method: "POST",
      headers: {
        "content-type": "application/json",
        "x-forwarded-for": `10.200.0.${i % 250}, 34.120.0.1`,
        "stripe-signature": signer.webhooks.generateTestHeaderString({ payload, secret: SECRET }),
      },
      body: payload,
    });
    if (res.status !== 200) throw new Error(`setup event ${event.type}: ${res.status} ${await res.text()}`);
  };
  const subscriptions: { id: string }[] = [];
  for (let s = 0; s < SUBSCRIPTIONS; s++) {
    const session = fake.store.createCheckoutSession({
      mode: "subscription",
      line_items: [{ price: "price_fake_pro_monthly", quantity: "1" }],
      metadata: { organization: `bench-${s}` },
      customer: fake.store.createCustomer({ email: `bench-${s}@bench.test` }).id,
    });
    const completed = fake.store.completeCheckout(session.id);
    for (const e of completed.events) await deliver(e as { id: string; type: string }, s);
    subscriptions.push(completed.subscription as { id: string });
  }
  const licenses = await db.query("SELECT count(*)::int AS n FROM licenses");
  if (licenses.rows[0].n !== SUBSCRIPTIONS)
    throw new Error(`expected ${SUBSCRIPTIONS} licenses after fulfilment, found ${licenses.rows[0].n}`);

  // The cluster feed is on: each fulfilled license is mirrored as a License resource.
  const mirrored = await fetch(`${kube.url}/apis/coditect.ai/v1alpha1/licenses`, {
    headers: { authorization: `Bearer ${kube.adminToken}` },
  });
  const licenseResources = ((await mirrored.json()) as { items?: unknown[] }).items?.length ?? 0;
  if (licenseResources !== SUBSCRIPTIONS)
    throw new Error(`expected ${SUBSCRIPTIONS} License resources (cluster feed), found ${licenseResources}`);

  const unknownType = "customer.tax_id.updated";
  // Warm up the HTTP path, billing's pool and both processes' JIT.
  await runLoad({ ...base, kind: "webhook", prefix: "warmup", count: 300, type: unknownType });
  await runLoad({
    ...base,
    kind: "webhook",
    prefix: "warmupsub",
    count: 50,
    type: "customer.subscription.updated",
    expectOutcome: "processed",
    objects: subscriptions,
  });

  const baseline = await runLoad({
    kind: "baseline",
    databaseUrl,
    prefix: "baseline",
    count: EVENTS,
    concurrency: CONCURRENCY,
    type: unknownType,
  });
  const webhook = await measured({
    ...base,
    kind: "webhook",
    prefix: "webhook",
    count: EVENTS,
    type: unknownType,
    expectOutcome: "ignored",
  });
  const duplicates = await measured({
    ...base,
    kind: "webhook",
    prefix: "webhook",
    count: EVENTS,
    type: unknownType,
    expectOutcome: "duplicate",
  });
  const ledger = await db.query("SELECT count(*)::int AS n FROM stripe_events WHERE id LIKE 'evt_webhook_%'");
  if (ledger.rows[0].n !== EVENTS)
    throw new Error(`ledger holds ${ledger.rows[0].n} webhook rows, expected ${EVENTS}`);

  const subscriptionJob = (prefix: string, objects: { id: string }[]): WebhookLoadJob => ({
    ...base,
    kind: "webhook",
    prefix,
    count: FULL_EVENTS,
    type: "customer.subscription.updated",
    expectOutcome: "processed",
    objects,
  });
  const oneSubscription = await measured(subscriptionJob("onesub", subscriptions.slice(0, 1)));
  const spread = await measured(subscriptionJob("spread", subscriptions));
  const audited = await db.query(
    "SELECT count(*)::int AS n FROM audit_events WHERE actor LIKE 'stripe:evt_onesub_%' OR actor LIKE 'stripe:evt_spread_%'",
  );
  const processed = await db.query(
    "SELECT count(*)::int AS n FROM stripe_events WHERE (id LIKE 'evt_onesub_%' OR id LIKE 'evt_spread_%') AND outcome = 'processed'",
  );
  if (processed.rows[0].n !== 2 * FULL_EVENTS)
    throw new Error(
      `${processed.rows[0].n} subscription events processed in the ledger, expected ${2 * FULL_EVENTS}`,
    );

  billing.child.kill("SIGTERM");
  await billing.exited;
  const loadAfter = loadavg().map((l) => +l.toFixed(2));
  const ratio = (r: ClosedLoopResult) => +(r.perSecond / baseline.perSecond).toFixed(3);
  const result = {
    setup: {
      billing:
        "billing/server.ts as its own process (runBilling): production app, RATE_LIMIT_STORE=postgres (DATABASE_URL set), LOG_LEVEL info, pool of 10, cluster feed on (Kubernetes API test server)",
      postgres: "real PostgreSQL 15 (test-support/postgres, fsync=off)",
      load: "bench/billing-webhooks-load.ts, a separate process, closed loop, keep-alive; signing in the load process",
      stripe: "test-support/fake-stripe in the benchmark process",
      concurrency: CONCURRENCY,
      subscriptions: SUBSCRIPTIONS,
      cpu: "user + system CPU ms per event from /proc: billing's process, PostgreSQL's (webhook phases: the postmaster and all its children; baseline: the load's own 8 backends), the load generator's own during its loop (process.cpuUsage: all its threads, a fresh process's JIT included)",
    },
    loadAverage: { before: loadBefore, after: loadAfter },
    baseline: {
      what: "plain INSERT of the same stripe_events rows (pg pool from the load process)",
      ...baseline,
    },
    webhook: {
      what: "signed POST → per-IP limit → constructEvent → envelope check → ledger insert (idempotent) → answer; unknown type, acknowledged",
      ...webhook,
      ratioToBaseline: ratio(webhook),
      goal: "≥ 0.5× baseline (issue 18 goal 6)",
      goalMet: ratio(webhook) >= 0.5,
      cpuMsPerEventVsBaseline: {
        baseline: +(baseline.loadCpuMsPerRequest + (baseline.postgresCpuMsPerRequest ?? 0)).toFixed(3),
        webhook: +(
          webhook.loadCpuMsPerRequest +
          webhook.billingCpuMsPerEvent +
          webhook.postgresCpuMsPerEvent
        ).toFixed(3),
      },
    },
    duplicates: {
      what: "the same events delivered again: verified, found in the ledger, no effect",
      ...duplicates,
      ratioToBaseline: ratio(duplicates),
    },
    subscriptionUpdatedOneSubscription: {
      what: "customer.subscription.updated, every event for the same subscription: advisory lock, license row lock, refetch from the fake Stripe, update + audit, mirror to the cluster",
      ...oneSubscription,
      goal: "≥ 100 events/s (issue 18 goal 6)",
      goalMet: oneSubscription.perSecond >= 100,
    },
    subscriptionUpdatedSpread: {
      what: `customer.subscription.updated round robin over ${SUBSCRIPTIONS} subscriptions, same handling`,
      ...spread,
      goalMet: spread.perSecond >= 100,
    },
    verified: {
      licenseResourcesMirrored: licenseResources,
      ledgerRowsForWebhookEvents: ledger.rows[0].n,
      duplicatesAcknowledgedWithoutEffect: EVENTS,
      subscriptionEventsProcessed: processed.rows[0].n,
      auditEventsForSubscriptionEvents: audited.rows[0].n,
    },
  };
  console.log(JSON.stringify(result, null, 2));
  writeBenchResult("billing", "webhooks", result);
} catch (err) {
  if (billing) console.error(billing.output().split("\n").slice(-20).join("\n"));
  throw err;
} finally {
  if (billing && billing.child.exitCode === null) {
    billing.child.kill("SIGTERM");
    await billing.exited;
  }
  await db.end();
  await kube.stop();
  await fake.stop();
  await postgres.stop();
  rmSync(dir, { recursive: true, force: true });
}
