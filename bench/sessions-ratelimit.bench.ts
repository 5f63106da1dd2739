/**
 * What sharing the rate limits between replicas costs (issue 13 §5, ADR 0160): validate and heartbeat over
 * HTTP through the whole billing app (createApp: per-IP limits, per-key limits, the sessions API) on real
 * PostgreSQL, with RATE_LIMIT_STORE=memory (the baseline: each replica counts alone) and
 * RATE_LIMIT_STORE=postgres (one table all replicas share), both apps in this process with their own
 * production-sized pools, rounds interleaved, load from a separate process (bench/sessions-ratelimit-load.ts).
 * The production limits stay on; the load spreads over enough license keys, session tokens and client
 * addresses that nothing is refused (any refusal fails the run). Every SQL statement each app sends is
 * counted (test-support/counting-db.ts), so the result shows the round trips per request in both modes:
 * the shared limiter must add at most one.
 * Run: npm run bench -- sessions-ratelimit   (small proof run: BENCH_RATELIMIT_SCALE=0.1 BENCH_RATELIMIT_ROUNDS=1)
 */
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { loadavg, tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import pg from "pg";
import { pino } from "pino";
import { Registry } from "prom-client";
import Stripe from "stripe";
import { createGrantedLicense } from "../billing/admin/actions.js";
import { createApp } from "../billing/app.js";
import { loadConfig } from "../billing/config.js";
import { migrate } from "../billing/db/migrate.js";
import { createPool } from "../billing/db/pool.js";
import { withTransaction } from "../billing/db/tx.js";
import type { BillingDeps } from "../billing/deps.js";
import { createHttpServer } from "../billing/http/node-server.js";
import { validateSession } from "../billing/sessions/admission.js";
import { DEFAULT_SESSION_TIMING } from "../billing/sessions/decide.js";
import { type RateLimitStoreKind, SESSION_RATE_LIMITS } from "../billing/sessions/rate-limit.js";
import { systemClock } from "../lib/clock.js";
import { generateSigningKey } from "../lib/offline-tokens/index.js";
import { type CountingDb, countingDb } from "../test-support/counting-db.js";
import { fakeStripePriceEnv } from "../test-support/fake-stripe/index.js";
import { startPostgres } from "../test-support/postgres/server.js";
import { writeBenchResult } from "./write-result.js";

const SCALE = Number(process.env.BENCH_RATELIMIT_SCALE ?? 1);
const ROUNDS = Number(process.env.BENCH_RATELIMIT_ROUNDS ?? 3);
/** Heartbeating sessions per mode, and license keys validated per mode. */
const SESSIONS = Math.max(10, Math.round(400 * SCALE));
const KEYS = Math.max(10, Math.round(200 * SCALE));
/** Per round; with the warm-up (one each) the totals stay within 20 heartbeats and 30 validates a minute. */
const HEARTBEATS_PER_SESSION = 6;
const VALIDATES_PER_KEY = 9;
const CONCURRENCY = 16;
const MODES: RateLimitStoreKind[] = ["memory", "postgres"];
const here = dirname(fileURLToPath(import.meta.url));
const quiet = pino({ level: "silent" });

if (
  1 + ROUNDS * HEARTBEATS_PER_SESSION > SESSION_RATE_LIMITS.heartbeat.limit ||
  1 + ROUNDS * VALIDATES_PER_KEY > SESSION_RATE_LIMITS.validate.limit
) {
  console.error(`BENCH_RATELIMIT_ROUNDS=${ROUNDS} would exceed the per-key limits; at most 3`);
  process.exit(2);
}

interface LoadResult {
  requests: number;
  failures: number;
  statuses: Record<string, number>;
  perSecond: number;
  p50Ms: number;
  p99Ms: number;
}

function runLoad(
  url: string,
  kind: "validate" | "heartbeat",
  requests: number,
  inputsFile: string,
  tag: string,
): Promise<LoadResult> {
  const args = [
    "--import",
    "tsx",
    join(here, "sessions-ratelimit-load.ts"),
    url,
    kind,
    String(requests),
    String(CONCURRENCY),
    inputsFile,
    tag,
  ];
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, { stdio: ["ignore", "pipe", "inherit"] });
    let out = "";
    child.stdout.on("data", (d) => {
      out += d.toString();
    });
    child.on("exit", (code) => {
      if (code !== 0) return reject(new Error(`load generator exited ${code}`));
      const result = JSON.parse(out.trim().split("\n").pop()!) as LoadResult;
      if (result.failures > 0)
        return reject(
          new Error(`${tag}: ${result.failures} requests failed: ${JSON.stringify(result.statuses)}`),
        );
      resolve(result);
    });
  });
}

/** Statements sent per request, and how many of them touched the shared rate-limit table. */
function roundTrips(counted: CountingDb, requests: number) {
  const statements = counted.statements();
  return {
    perRequest: +(statements.length / requests).toFixed(3),
    rateLimitPerRequest: +(
      statements.filter((s) => s.includes("rate_limit_windows")).length / requests
    ).toFixed(3),
  };
}

interface Replica {
  mode: RateLimitStoreKind;
  url: string;
  counted: CountingDb;
  keysFile: string;
  tokensFile: string;
  close(): Promise<void>;
}

const postgres = await startPostgres();
const dir = mkdtempSync(join(tmpdir(), "ratelimit-bench-"));
const replicas: Replica[] = [];
try {
  const databaseUrl = await postgres.createDatabase("bench_ratelimit");
  const setupPool = new pg.Pool({ connectionString: databaseUrl, max: 8 });
  await migrate(setupPool);
  const config = loadConfig({
    STRIPE_SECRET_KEY: "sk_test_bench",
    STRIPE_WEBHOOK_SECRET: "whsec_bench",
    ...fakeStripePriceEnv(),
    ADMIN_TOKEN: "b".repeat(40),
    DATABASE_URL: databaseUrl,
    UNLIMITED_LICENSE_SESSION_CEILING: "100000",
    LOG_LEVEL: "silent",
  });
  const grant = (organization: string) =>
    withTransaction(setupPool, (tx) =>
      createGrantedLicense(
        tx,
        {
          organization,
          customerEmail: "bench@acme.example",
          tier: "enterprise",
          provisioningType: "internal",
          seats: 10,
          workstations: 0,
        },
        { actor: "bench", action: "license.created", now: new Date(), paymentGraceMs: config.paymentGraceMs },
      ),
    );
  const ctx = {
    db: setupPool,
    clock: systemClock,
    logger: quiet,
    keySet: { current: await generateSigningKey("bench") },
    timing: DEFAULT_SESSION_TIMING,
    unlimitedSessionCeiling: 100_000,
  };

  for (const mode of MODES) {
    const keys: string[] = [];
    for (let i = 0; i < KEYS; i++) keys.push((await grant(`bench-${mode}-${i}`)).key);
    const hb = await grant(`bench-${mode}-hb`);
    const tokens: string[] = [];
    for (let i = 0; i < SESSIONS; i++) {
      const admitted = await validateSession(ctx, {
        licenseKey: hb.key,
        containerId: `hb-${i}`,
        containerType: "docker",
      });
      if (!admitted.admitted) throw new Error("heartbeat session not admitted");
      tokens.push(admitted.sessionToken);
    }
    const keysFile = join(dir, `${mode}-keys.json`);
    const tokensFile = join(dir, `${mode}-tokens.json`);
    writeFileSync(keysFile, JSON.stringify(keys));
    writeFileSync(tokensFile, JSON.stringify(tokens));
    // Each replica as production runs it: its own pool of 10, its own metrics, the same database.
    const pool = createPool(databaseUrl, { max: 10 }, quiet);
    const counted = countingDb(pool);
    const deps: BillingDeps = {
      config: { ...config, rateLimitStore: mode },
      db: counted.db,
      stripe: new Stripe("sk_test_bench"),
      clock: systemClock,
      logger: quiet,
      metrics: new Registry(),
    };
    const server = createHttpServer(createApp(deps), quiet).listen(0, "127.0.0.1");
    await new Promise((r) => server.once("listening", r));
    const port = (server.address() as { port: number }).port;
    replicas.push({
      mode,
      url: `http://127.0.0.1:${port}`,
      counted,
      keysFile,
      tokensFile,
      async close() {
        server.closeAllConnections();
        await new Promise((r) => server.close(r));
        await pool.end();
      },
    });
  }
  await setupPool.end();

  const loadBefore = loadavg().map((l) => +l.toFixed(2));
  for (const r of replicas) {
    await runLoad(r.url, "heartbeat", SESSIONS, r.tokensFile, `warm-${r.mode}`);
    await runLoad(r.url, "validate", KEYS, r.keysFile, `warm-${r.mode}`);
  }
  type Measured = LoadResult & { sqlRoundTrips: ReturnType<typeof roundTrips> };
  const rounds: Record<RateLimitStoreKind, { validate: Measured; heartbeat: Measured }[]> = {
    memory: [],
    postgres: [],
  };
  for (let round = 0; round < ROUNDS; round++) {
    for (const r of replicas) {
      r.counted.reset();
      const validate = await runLoad(
        r.url,
        "validate",
        KEYS * VALIDATES_PER_KEY,
        r.keysFile,
        `${r.mode}-r${round}`,
      );
      const validateTrips = roundTrips(r.counted, validate.requests);
      r.counted.reset();
      const heartbeat = await runLoad(
        r.url,
        "heartbeat",
        SESSIONS * HEARTBEATS_PER_SESSION,
        r.tokensFile,
        `${r.mode}-r${round}`,
      );
      const heartbeatTrips = roundTrips(r.counted, heartbeat.requests);
      rounds[r.mode].push({
        validate: { ...validate, sqlRoundTrips: validateTrips },
        heartbeat: { ...heartbeat, sqlRoundTrips: heartbeatTrips },
      });
      console.log(
        `${r.mode} round ${round + 1}: validate ${validate.perSecond}/s p99 ${validate.p99Ms} ms (${validateTrips.perRequest} statements), heartbeat ${heartbeat.perSecond}/s p99 ${heartbeat.p99Ms} ms (${heartbeatTrips.perRequest} statements)`,
      );
    }
  }

  const best = (mode: RateLimitStoreKind, kind: "validate" | "heartbeat") =>
    rounds[mode].map((r) => r[kind]).sort((a, b) => b.perSecond - a.perSecond)[0]!;
  const summary = (mode: RateLimitStoreKind) => ({
    validate: best(mode, "validate"),
    heartbeat: best(mode, "heartbeat"),
  });
  const baseline = summary("memory");
  const shared = summary("postgres");
  const ratio = (a: number, b: number) => +(a / b).toFixed(3);
  const extra = (kind: "validate" | "heartbeat") =>
    +(shared[kind].sqlRoundTrips.perRequest - baseline[kind].sqlRoundTrips.perRequest).toFixed(3);
  writeBenchResult("sessions", "ratelimit", {
    loadAverage: { before: loadBefore, after: loadavg().map((l) => +l.toFixed(2)) },
    setup: {
      postgres:
        "real PostgreSQL 15 (test-support/postgres, fsync=off), one database, two apps with a pool of 10 each",
      heartbeatSessions: SESSIONS,
      validateKeys: KEYS,
      validatesPerRound: KEYS * VALIDATES_PER_KEY,
      heartbeatsPerRound: SESSIONS * HEARTBEATS_PER_SESSION,
      concurrency: CONCURRENCY,
      rounds: ROUNDS,
      limits: "production: validate 30/min per key + 300/min per client IP, heartbeat 20/min per session",
    },
    note: "best of the interleaved rounds per mode by throughput; load from a separate process (bench/sessions-ratelimit-load.ts); SQL statements counted per request at the app's pool",
    baseline: { store: "memory", ...baseline },
    shared: { store: "postgres", ...shared },
    ratios: {
      validateThroughputSharedVsMemory: ratio(shared.validate.perSecond, baseline.validate.perSecond),
      heartbeatThroughputSharedVsMemory: ratio(shared.heartbeat.perSecond, baseline.heartbeat.perSecond),
      validateP99SharedVsMemory: ratio(shared.validate.p99Ms, baseline.validate.p99Ms),
      heartbeatP99SharedVsMemory: ratio(shared.heartbeat.p99Ms, baseline.heartbeat.p99Ms),
    },
    extraSqlRoundTripsPerRequest: { validate: extra("validate"), heartbeat: extra("heartbeat") },
    rounds,
  });
  const worst = Math.max(extra("validate"), extra("heartbeat"));
  if (worst > 1) {
    console.error(`the shared limiter added ${worst} round trips per request (at most 1 allowed)`);
    process.exitCode = 1;
  }
} finally {
  for (const r of replicas) await r.close();
  await postgres.stop();
  rmSync(dir, { recursive: true, force: true });
}
