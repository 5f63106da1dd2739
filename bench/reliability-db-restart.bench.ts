/**
 * Heartbeat latency through a PostgreSQL restart (issue 12 §1; npm run bench -- reliability-db-restart):
 * billing runs as a process (billing/testing/process.ts, its real entry point) on its own real PostgreSQL
 * (test-support/postgres, no cluster); a separate load process (bench/reliability-load.ts) keeps SESSIONS
 * sessions heartbeating, one every 3.5 s each. Three windows of the same run, by request start time:
 *   before  — steady state (the baseline);
 *   restart — from `pg_ctl stop -m fast`, through an outage of OUTAGE_MS, `pg_ctl start`, until
 *             RECOVERY_TAIL_MS after the server is back;
 *   after   — steady state again.
 * Reports p50/p99/max and outcomes per window, the restart p99 over the baseline p99, 503s with and without
 * Retry-After against any other 5xx (must be 0), and the time from the database being back to billing's first
 * successful heartbeat, to /readyz ready, and to every session served again.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { type BillingProcess, listeningPort, runBilling } from "../billing/testing/process.js";
import { fakeStripePriceEnv } from "../test-support/fake-stripe/index.js";
import { startPostgres } from "../test-support/postgres/server.js";
import { waitFor } from "../test-support/wait.js";
import {
  ADMIN_TOKEN,
  createLicense,
  epochMs,
  errorLogLines,
  ratio,
  sleep,
  startHeartbeatLoad,
  validate,
  windowStats,
} from "./reliability-common.js";
import { writeBenchResult } from "./write-result.js";

const SESSIONS = 100;
/** Validate allows 30 a minute per license key: spread the sessions over enough licenses. */
const LICENSES = 5;
const WARM_UP_MS = 5_000;
const STEADY_MS = 20_000;
const OUTAGE_MS = 4_000;
const RECOVERY_TAIL_MS = 8_000;

const loadBefore = loadavg();
const workDir = mkdtempSync(join(tmpdir(), "reliability-db-"));
const postgres = await startPostgres();
let billing: BillingProcess | undefined;
try {
  billing = runBilling({
    PORT: "0",
    DATABASE_URL: await postgres.createDatabase("bench_reliability"),
    STRIPE_SECRET_KEY: "sk_test_reliability",
    STRIPE_WEBHOOK_SECRET: "whsec_reliability",
    STRIPE_API_URL: "http://127.0.0.1:9",
    ...fakeStripePriceEnv(),
    ADMIN_TOKEN,
  });
  const url = `http://127.0.0.1:${await listeningPort(billing)}`;
  const keys: string[] = [];
  for (let i = 0; i < LICENSES; i++)
    keys.push(await createLicense(url, { organization: `reliability-${i}` }));
  const tokens: string[] = [];
  for (let i = 0; i < SESSIONS; i++) tokens.push(await validate(url, keys[i % LICENSES]!, `c-${i}`));

  const load = startHeartbeatLoad(url, tokens, workDir);
  await sleep(WARM_UP_MS);
  const beforeFrom = epochMs();
  await sleep(STEADY_MS);
  const stopAt = epochMs();
  let stoppedAt = 0;
  await postgres.restart(async () => {
    stoppedAt = epochMs();
    await sleep(OUTAGE_MS);
  });
  const backAt = epochMs();
  const ready = await waitFor(
    "/readyz ready after the restart",
    async () => ((await fetch(`${url}/readyz`)).status === 200 ? epochMs() : undefined),
    { intervalMs: 20 },
  );
  const restartTo = backAt + RECOVERY_TAIL_MS;
  await sleep(restartTo - epochMs());
  await sleep(STEADY_MS);
  const afterTo = epochMs();
  const samples = await load.stop();
  const loadAfter = loadavg();
  if (billing.child.exitCode !== null)
    throw new Error(`billing exited ${billing.child.exitCode} during the run`);

  const before = windowStats(samples, beforeFrom, stopAt);
  const restart = windowStats(samples, stopAt, restartTo);
  const after = windowStats(samples, restartTo, afterTo);
  const successes = samples.filter((s) => s.status === 200 && s.endedAt >= backAt);
  const firstSuccess = Math.min(...successes.map((s) => s.endedAt));
  const servedAgain = tokens.map((_, i) =>
    Math.min(...successes.filter((s) => s.session === i).map((s) => s.endedAt)),
  );
  const ms = (t: number) => (Number.isFinite(t) ? Math.round(t - backAt) : null);

  writeBenchResult("reliability", "db-restart", {
    loadAverage: { before: loadBefore, after: loadAfter },
    billingErrorLogs: errorLogLines(billing.output()),
    setup: {
      billing: "billing/server.ts as a process (runBilling), its own PostgreSQL, no cluster, LOG_LEVEL info",
      postgres:
        "real PostgreSQL (test-support/postgres, fsync=off); restart = pg_ctl stop -m fast … start -w",
      load: "bench/reliability-load.ts, a separate process: one heartbeat loop per session",
      sessions: SESSIONS,
      licenses: LICENSES,
      heartbeatIntervalMs: 3_500,
      outageMs: OUTAGE_MS,
      windows:
        "by request start: before = steady state (baseline); restart = pg_ctl stop until 8 s after pg_ctl start returned; after = steady state",
    },
    stopTookMs: Math.round(stoppedAt - stopAt),
    databaseDownMs: Math.round(backAt - stoppedAt),
    before,
    restart,
    /** The part of the restart window while the database was down (stop … start returned). */
    restartWhileDatabaseDown: windowStats(samples, stopAt, backAt),
    after,
    ratios: {
      restartP99VsBaselineP99: ratio(restart.p99Ms, before.p99Ms),
      afterP99VsBaselineP99: ratio(after.p99Ms, before.p99Ms),
      restartMaxVsBaselineP99: ratio(restart.maxMs, before.p99Ms),
    },
    unavailable: {
      share503InRestartWindow: restart.requests
        ? +(((restart.byStatus["503"] ?? 0) / restart.requests) as number).toFixed(3)
        : null,
      with503RetryAfter:
        restart.unavailableWithRetryAfter +
        before.unavailableWithRetryAfter +
        after.unavailableWithRetryAfter,
      without503RetryAfter:
        restart.unavailableWithoutRetryAfter +
        before.unavailableWithoutRetryAfter +
        after.unavailableWithoutRetryAfter,
      otherServerErrorsMustBe0: before.otherErrors + restart.otherErrors + after.otherErrors,
      expiredHeartbeatsMustBe0: samples.filter((s) => s.answer === "expired").length,
    },
    recovery: {
      firstSuccessAfterDatabaseBackMs: ms(firstSuccess),
      readyzReadyAfterDatabaseBackMs: ms(ready),
      everySessionServedAgainAfterDatabaseBackMs: ms(Math.max(...servedAgain)),
    },
  });
} finally {
  if (billing) {
    billing.child.kill("SIGKILL");
    await billing.exited;
  }
  await postgres.stop();
  rmSync(workDir, { recursive: true, force: true });
}
process.exit(0);
