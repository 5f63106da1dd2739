/**
 * Heartbeat load for the reliability benchmarks (bench/reliability-*.bench.ts), run as its own process so
 * its CPU is not charged to billing and a blocking step in the benchmark (pg_ctl, restarting the API test
 * server) does not delay the clients: every session token heartbeats on its own loop, one request at a time,
 * at most once per interval (billing allows 20 heartbeats a minute per session), starting at a random
 * offset so the requests spread over the interval. Each request is recorded with its start and end (epoch
 * ms), its status, Retry-After and the heartbeat's answer. On the IPC message "stop" it lets the requests
 * in flight finish and sends the samples back over IPC, then exits.
 * Usage (spawned with an IPC channel): tsx bench/reliability-load.ts <billing-url> <interval-ms> <tokens-file>
 */
import { readFileSync } from "node:fs";

export interface HeartbeatSample {
  /** Index of the session token. */
  session: number;
  startedAt: number;
  endedAt: number;
  status: number | "connection_failed" | "timeout";
  retryAfter: string | null;
  /** The heartbeat's answer (ok, warning, expired) or the error code. */
  answer?: string;
}

const [url, intervalRaw, tokensFile] = process.argv.slice(2);
if (!url || !intervalRaw || !tokensFile || !process.send) {
  console.error("usage (with an IPC channel): reliability-load.ts <billing-url> <interval-ms> <tokens-file>");
  process.exit(2);
}
const intervalMs = Number(intervalRaw);
const tokens = JSON.parse(readFileSync(tokensFile, "utf8")) as string[];
/** Far above any latency we expect; a request that takes this long is counted as a timeout. */
const REQUEST_TIMEOUT_MS = 30_000;
const usage = JSON.stringify({ cpuPercent: 12, memoryBytes: 1_000_000, uptimeSeconds: 300 });
const now = () => performance.timeOrigin + performance.now();

let running = true;
const samples: HeartbeatSample[] = [];

async function heartbeat(session: number): Promise<void> {
  const startedAt = now();
  const sample: Omit<HeartbeatSample, "endedAt"> = {
    session,
    startedAt,
    status: "connection_failed",
    retryAfter: null,
  };
  try {
    const res = await fetch(`${url}/v1/sessions/heartbeat`, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${tokens[session]}` },
      body: usage,
      signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
    });
    sample.status = res.status;
    sample.retryAfter = res.headers.get("retry-after");
    const body = (await res.json().catch(() => ({}))) as { status?: string; error?: { code?: string } };
    const answer = body.status ?? body.error?.code;
    if (answer) sample.answer = answer;
  } catch (err) {
    if ((err as Error).name === "TimeoutError") sample.status = "timeout";
  }
  samples.push({ ...sample, endedAt: now() });
}

async function client(session: number): Promise<void> {
  await new Promise((r) => setTimeout(r, Math.random() * intervalMs));
  while (running) {
    const started = Date.now();
    await heartbeat(session);
    // Never faster than the interval, never catching up on missed ticks: stays under the rate limit.
    const wait = started + intervalMs - Date.now();
    if (wait > 0 && running) await new Promise((r) => setTimeout(r, wait));
  }
}

const clients = tokens.map((_, i) => client(i));
process.on("message", async (message) => {
  if (message !== "stop") return;
  running = false;
  await Promise.all(clients);
  process.send!(samples, () => process.exit(0));
});
