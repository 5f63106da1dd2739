/**
 * What the reliability benchmarks (bench/reliability-*.bench.ts) share: billing's admin and sessions calls
 * used to set up customers, the heartbeat load process (bench/reliability-load.ts) and the statistics of
 * its samples.
 */
import { spawn } from "node:child_process";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import type { HeartbeatSample } from "./reliability-load.js";

export type { HeartbeatSample };

export const ADMIN_TOKEN = "reliability-bench-admin-token-0123456789abcdef";
/** Billing allows 20 heartbeats a minute per session; one every 3.5 s stays below it. */
export const HEARTBEAT_INTERVAL_MS = 3_500;

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
export const epochMs = () => performance.timeOrigin + performance.now();

export interface CustomerSpec {
  organization: string;
  workstations?: number;
}

/** Creates an internal enterprise license (unlimited containers) through the admin API; returns its key. */
export async function createLicense(billingUrl: string, spec: CustomerSpec): Promise<string> {
  const res = await fetch(`${billingUrl}/v1/admin/licenses`, {
    method: "POST",
    headers: { authorization: `Bearer ${ADMIN_TOKEN}`, "content-type": "application/json" },
    body: JSON.stringify({
      organization: spec.organization,
      customerEmail: `ops@${spec.organization}.test`,
      tier: "enterprise",
      provisioningType: "internal",
      maxContainers: "unlimited",
      ...(spec.workstations ? { workstations: spec.workstations, workstationTier: "standard" } : {}),
    }),
  });
  if (res.status !== 201)
    throw new Error(`creating license ${spec.organization}: ${res.status} ${await res.text()}`);
  return ((await res.json()) as { licenseKey: string }).licenseKey;
}

/** Admits one docker container; returns its session token. */
export async function validate(billingUrl: string, licenseKey: string, containerId: string): Promise<string> {
  const res = await fetch(`${billingUrl}/v1/sessions/validate`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ licenseKey, containerId, containerType: "docker" }),
  });
  if (res.status !== 201) throw new Error(`validate ${containerId}: ${res.status} ${await res.text()}`);
  return ((await res.json()) as { sessionToken: string }).sessionToken;
}

export interface HeartbeatLoad {
  /** Ends the load (requests in flight finish) and returns every request's sample. */
  stop(): Promise<HeartbeatSample[]>;
}

/** Starts bench/reliability-load.ts as its own process heartbeating every token. */
export function startHeartbeatLoad(billingUrl: string, tokens: string[], workDir: string): HeartbeatLoad {
  const tokensFile = join(workDir, "tokens.json");
  writeFileSync(tokensFile, JSON.stringify(tokens));
  const child = spawn(
    process.execPath,
    [
      "--import",
      "tsx",
      join(import.meta.dirname, "reliability-load.ts"),
      billingUrl,
      String(HEARTBEAT_INTERVAL_MS),
      tokensFile,
    ],
    { stdio: ["ignore", "inherit", "inherit", "ipc"] },
  );
  const exited = new Promise<number | null>((resolve) => child.on("exit", resolve));
  return {
    async stop() {
      const samples = new Promise<HeartbeatSample[]>((resolve, reject) => {
        child.once("message", (m) => resolve(m as HeartbeatSample[]));
        void exited.then((code) => reject(new Error(`heartbeat load exited ${code} without its samples`)));
      });
      child.send("stop");
      return samples;
    },
  };
}

function percentile(sorted: number[], p: number): number | null {
  if (sorted.length === 0) return null;
  return +sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!.toFixed(1);
}

export interface WindowStats {
  seconds: number;
  requests: number;
  p50Ms: number | null;
  p99Ms: number | null;
  maxMs: number | null;
  /** Count per HTTP status (or connection_failed / timeout). */
  byStatus: Record<string, number>;
  /** Count per heartbeat answer (ok, warning, expired) or error code. */
  byAnswer: Record<string, number>;
  unavailableWithRetryAfter: number;
  unavailableWithoutRetryAfter: number;
  /** Any 5xx other than 503, connection failures and timeouts: must be 0. */
  otherErrors: number;
}

/** Latency and outcomes of the requests started in [from, to). Latency covers every answer, errors too. */
export function windowStats(samples: HeartbeatSample[], from: number, to: number): WindowStats {
  const inWindow = samples.filter((s) => s.startedAt >= from && s.startedAt < to);
  const latencies = inWindow.map((s) => s.endedAt - s.startedAt).sort((a, b) => a - b);
  const count = (key: (s: HeartbeatSample) => string | undefined) => {
    const counts: Record<string, number> = {};
    for (const s of inWindow) {
      const k = key(s);
      if (k !== undefined) counts[k] = (counts[k] ?? 0) + 1;
    }
    return counts;
  };
  const unavailable = inWindow.filter((s) => s.status === 503);
  return {
    seconds: +((to - from) / 1000).toFixed(1),
    requests: inWindow.length,
    p50Ms: percentile(latencies, 50),
    p99Ms: percentile(latencies, 99),
    maxMs: latencies.length ? +latencies[latencies.length - 1]!.toFixed(1) : null,
    byStatus: count((s) => String(s.status)),
    byAnswer: count((s) => s.answer),
    unavailableWithRetryAfter: unavailable.filter((s) => s.retryAfter !== null).length,
    unavailableWithoutRetryAfter: unavailable.filter((s) => s.retryAfter === null).length,
    otherErrors: inWindow.filter((s) => typeof s.status !== "number" || (s.status >= 500 && s.status !== 503))
      .length,
  };
}

export const ratio = (a: number | null, b: number | null) => (a !== null && b ? +(a / b).toFixed(2) : null);

/** Billing's error-level log lines (pino level 50+, or a Cloud Logging severity ERROR+), the first few. */
export function errorLogLines(output: string, max = 5): unknown[] {
  return output
    .split("\n")
    .filter((l) => /"level":(5|6)\d|"severity":"(ERROR|CRITICAL|ALERT|EMERGENCY)"/.test(l))
    .slice(0, max)
    .map((l) => {
      try {
        const { msg, message, err, path, url } = JSON.parse(l) as Record<string, unknown>;
        return { message: msg ?? message, path: path ?? url, err: (err as { message?: string })?.message };
      } catch {
        return l.slice(0, 500);
      }
    });
}
