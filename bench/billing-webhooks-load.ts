/**
 * Load generator for bench/billing.bench.ts, run as its own process so neither signing nor the client's
 * HTTP work is charged to billing. One JSON job file (argv[2]) says what to send:
 * - `webhook`: `count` signed Stripe events (ids `evt_<prefix>_<i>`) POSTed to billing's /v1/webhooks/stripe
 *   over keep-alive connections, `concurrency` in flight, each from its own client address as Google's load
 *   balancer reports it (X-Forwarded-For "<client>, <lb>", ADR 0146) so the per-IP limit runs but never
 *   refuses; every answer must be 200 with the expected outcome. `objects` (optional) are the
 *   `data.object`s, round robin (subscriptions for customer.subscription.updated); else a tax id each.
 * - `baseline`: the same ledger rows written with plain INSERTs over a pg pool of `concurrency` connections
 *   (no HTTP, no verification, no transaction, no idempotency).
 * Prints one JSON line: requests, failures, statuses, perSecond, p50Ms, p99Ms, and the CPU the load itself
 * used per request (loadCpuMsPerRequest; for the baseline also its PostgreSQL backends',
 * postgresCpuMsPerRequest).
 * Usage: tsx bench/billing-webhooks-load.ts <job.json>
 */
import { readFileSync } from "node:fs";
import { Agent, request } from "node:http";
import pg from "pg";
import Stripe from "stripe";
import { processCpuSeconds } from "./billing-cpu.js";
import { type ClosedLoopResult, runClosedLoop } from "./closed-loop.js";

export interface WebhookLoadJob {
  kind: "webhook" | "baseline";
  /** billing's base URL (webhook) */
  url?: string;
  /** the database billing uses (baseline) */
  databaseUrl?: string;
  secret?: string;
  prefix: string;
  count: number;
  concurrency: number;
  type: string;
  expectOutcome?: string;
  objects?: { id: string }[];
}

/** What the load generator prints. */
export type WebhookLoadResult = ClosedLoopResult & {
  loadCpuMsPerRequest: number;
  postgresCpuMsPerRequest?: number;
};

const file = process.argv[2];
if (!file) {
  console.error("usage: billing-webhooks-load.ts <job.json>");
  process.exit(2);
}
const job = JSON.parse(readFileSync(file, "utf8")) as WebhookLoadJob;
const created = Math.floor(Date.now() / 1000);
const objectOf = (i: number) =>
  job.objects ? job.objects[i % job.objects.length]! : { id: `txi_${job.prefix}_${i}`, object: "tax_id" };
const eventOf = (i: number) => ({
  id: `evt_${job.prefix}_${i}`,
  object: "event",
  type: job.type,
  created,
  data: { object: objectOf(i) },
});

let result: ClosedLoopResult & { postgresCpuMsPerRequest?: number };
// The load's CPU during the loop only: not the process's start (tsx, module loading, connecting), nor closing.
let loadCpuMs = 0;
const cpuSince = (before: NodeJS.CpuUsage) => {
  const used = process.cpuUsage(before);
  return (used.user + used.system) / 1000;
};
if (job.kind === "baseline") {
  const pool = new pg.Pool({ connectionString: job.databaseUrl, max: job.concurrency });
  // Open the connections first (the webhook side's pool is warm too) and learn their backends' pids.
  const backends = await Promise.all(
    Array.from({ length: job.concurrency }, async () => {
      const r = await pool.query<{ pid: number }>("SELECT pg_backend_pid() AS pid");
      return r.rows[0]!.pid;
    }),
  );
  const backendCpu = () => backends.reduce((sum, pid) => sum + processCpuSeconds(pid), 0);
  const backendCpuBefore = backendCpu();
  const cpuBefore = process.cpuUsage();
  result = await runClosedLoop(job.count, job.concurrency, 200, async (i) => {
    const e = eventOf(i);
    await pool.query(
      "INSERT INTO stripe_events (id, type, created_at, processed_at, object_id, outcome) VALUES ($1, $2, $3, $4, $5, 'ignored')",
      [e.id, e.type, new Date(e.created * 1000), new Date(), e.data.object.id],
    );
    return 200;
  });
  loadCpuMs = cpuSince(cpuBefore);
  result.postgresCpuMsPerRequest = +(((backendCpu() - backendCpuBefore) * 1000) / job.count).toFixed(3);
  await pool.end();
} else {
  const signer = new Stripe("sk_test_signer");
  const agent = new Agent({ keepAlive: true, maxSockets: job.concurrency });
  const clientIp = (i: number) => `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`;
  const wrong: string[] = [];
  const send = (i: number): Promise<number> => {
    const payload = JSON.stringify(eventOf(i));
    const headers = {
      "content-type": "application/json",
      "content-length": Buffer.byteLength(payload),
      "x-forwarded-for": `${clientIp(i)}, 34.120.0.1`,
      "stripe-signature": signer.webhooks.generateTestHeaderString({ payload, secret: job.secret! }),
    };
    return new Promise((resolve, reject) => {
      const req = request(`${job.url}/v1/webhooks/stripe`, { method: "POST", agent, headers }, (res) => {
        let body = "";
        res.on("data", (d) => (body += d));
        res.on("end", () => {
          const outcome = (JSON.parse(body) as { outcome?: string }).outcome;
          if (res.statusCode === 200 && job.expectOutcome && outcome !== job.expectOutcome) {
            if (wrong.length < 5) wrong.push(`evt_${job.prefix}_${i}: ${body}`);
            resolve(-1);
            return;
          }
          resolve(res.statusCode ?? 0);
        });
      });
      req.on("error", reject);
      req.end(payload);
    });
  };
  const cpuBefore = process.cpuUsage();
  result = await runClosedLoop(job.count, job.concurrency, 200, send);
  loadCpuMs = cpuSince(cpuBefore);
  agent.destroy();
  if (wrong.length > 0) console.error(`unexpected outcomes (first ${wrong.length}):\n${wrong.join("\n")}`);
}
console.log(
  JSON.stringify({
    ...result,
    loadCpuMsPerRequest: +(loadCpuMs / job.count).toFixed(3),
  }),
);
