/**
 * Account pages (issue 17): server render time of the organization overview page for an organization with
 * 100 members, 20 workstations and 500 container sessions (300 live) — session lookup, membership check, the
 * overview query (seats and live containers counted per license) and the HTML render — against the pages'
 * static stylesheet from the same server (same middleware: helmet, page headers; no database) in the same
 * run, rounds interleaved. Load comes from a separate process (bench/account-overview-load.ts).
 * Writes bench/results/account-overview.json.
 * Run: npm run bench -- account-overview   (small proof run: BENCH_ACCOUNT_REQUESTS=100 BENCH_ACCOUNT_ROUNDS=1)
 */

import { spawn } from "node:child_process";
import { randomUUID } from "node:crypto";
import { loadavg } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { signInForTest } from "../billing/accounts/testing/sign-in.js";
import { startBillingHarness } from "../billing/testing/harness.js";
import { startPostgres } from "../test-support/postgres/server.js";
import type { ClosedLoopResult } from "./closed-loop.js";
import { writeBenchResult } from "./write-result.js";

const REQUESTS = Number(process.env.BENCH_ACCOUNT_REQUESTS ?? 2000);
const ROUNDS = Number(process.env.BENCH_ACCOUNT_ROUNDS ?? 3);
const CONCURRENCY = 8;
const ORG = "bench-org";
const here = dirname(fileURLToPath(import.meta.url));

function load(url: string, path: string, cookie: string): Promise<ClosedLoopResult> {
  const args = ["--import", "tsx", join(here, "account-overview-load.ts"), url, path, cookie];
  args.push(String(REQUESTS), String(CONCURRENCY));
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, { stdio: ["ignore", "pipe", "inherit"] });
    let out = "";
    child.stdout.on("data", (d) => (out += d));
    child.on("exit", (code) => {
      if (code !== 0) return reject(new Error(`load generator exited ${code}`));
      const result = JSON.parse(out.trim().split("\n").pop()!) as ClosedLoopResult;
      if (result.failures > 0) return reject(new Error(`${path}: ${JSON.stringify(result.statuses)}`));
      resolve(result);
    });
  });
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;

const postgres = await startPostgres();
const h = await startBillingHarness({ databaseUrl: await postgres.createDatabase("bench_account") });
try {
  const now = h.clock.now();
  const owner = await signInForTest(h.pool, `owner@${ORG}.test`, now, { organization: ORG, role: "owner" });
  const members: string[] = [owner.userId];
  for (let i = 1; i < 100; i++) {
    const role = i < 5 ? "admin" : i < 80 ? "member" : "viewer";
    members.push((await signInForTest(h.pool, `m${i}@${ORG}.test`, now, { organization: ORG, role })).userId);
  }
  const licenses: string[] = [];
  for (const [tier, seats] of [
    ["enterprise", 60],
    ["pro", 40],
    ["starter", 10],
  ] as const) {
    const res = await h.admin("POST", "/licenses", {
      organization: ORG,
      customerEmail: owner.email,
      provisioningType: "pilot",
      tier,
      seats,
      durationDays: 365,
    });
    if (res.status !== 201) throw new Error(`license: ${res.status} ${await res.text()}`);
    licenses.push(((await res.json()) as { license: { id: string } }).license.id);
  }
  // 100 seats (one per member), 20 workstations, 500 sessions of which 300 live.
  for (let i = 0; i < 100; i++) {
    await h.pool.query(
      "INSERT INTO seat_assignments (license_id, user_id, assigned_by, assigned_at) VALUES ($1, $2, 'bench', $3)",
      [licenses[i < 60 ? 0 : 1], members[i], now],
    );
  }
  for (let i = 0; i < 20; i++) {
    await h.pool.query(
      `INSERT INTO provisioned_workstations (name, namespace, license_id, tier, user_email, created_at, assignee_user_id)
       VALUES ($1, $2, $3, 'standard', $4, $5, $6)`,
      [`ws-${i}`, `org-${ORG}`, licenses[0], `m${i + 1}@${ORG}.test`, now, members[i + 1]],
    );
  }
  for (let i = 0; i < 500; i++) {
    const live = i < 300;
    await h.pool.query(
      `INSERT INTO container_sessions (id, license_id, organization, container_id, container_type, token_hash,
                                       state, created_at, last_heartbeat_at, ended_at)
       VALUES ($1, $2, $3, $4, 'docker', $5, $6, $7, $7, $8)`,
      [
        randomUUID(),
        licenses[i % 2],
        ORG,
        `container-${i}`,
        randomUUID(),
        live ? "active" : "released",
        now,
        live ? null : now,
      ],
    );
  }

  const overviewPath = `/account/organizations/${ORG}`;
  const page = await fetch(`${h.url}${overviewPath}`, { headers: { cookie: owner.cookie } });
  const html = await page.text();
  if (page.status !== 200 || !html.includes("60 of 60 in use") || !html.includes("150 in use"))
    throw new Error(`the overview does not show the seeded organization: ${page.status}`);
  const staticPath = /href="(\/account\/static\/account\.css\?v=[\w-]+)"/.exec(html)![1]!;

  const loadAverageBefore = loadavg();
  const rounds: { static: ClosedLoopResult; overview: ClosedLoopResult }[] = [];
  for (let round = 0; round < ROUNDS; round++) {
    rounds.push({
      static: await load(h.url, staticPath, owner.cookie),
      overview: await load(h.url, overviewPath, owner.cookie),
    });
  }
  const loadAverageAfter = loadavg();
  const summary = (pick: (r: (typeof rounds)[number]) => ClosedLoopResult) => ({
    perSecond: median(rounds.map((r) => pick(r).perSecond)),
    p50Ms: median(rounds.map((r) => pick(r).p50Ms)),
    p99Ms: median(rounds.map((r) => pick(r).p99Ms)),
  });
  const baseline = summary((r) => r.static);
  const overview = summary((r) => r.overview);
  writeBenchResult("account", "overview", {
    organization: { members: 100, workstations: 20, sessions: 500, liveSessions: 300, licenses: 3 },
    requests: REQUESTS,
    rounds: ROUNDS,
    concurrency: CONCURRENCY,
    pageBytes: Buffer.byteLength(html),
    loadAverageBefore,
    loadAverageAfter,
    baseline: { route: `GET ${staticPath.split("?")[0]} (static, same server)`, ...baseline },
    overview: { route: "GET /account/organizations/:organization", ...overview },
    ratio: {
      perSecond: +(overview.perSecond / baseline.perSecond).toFixed(3),
      p50: +(overview.p50Ms / baseline.p50Ms).toFixed(2),
    },
    everyRound: rounds,
  });
} finally {
  await h.stop();
  await postgres.stop();
}
