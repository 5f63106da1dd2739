/**
 * Registry access (issue 15): (1) POST /v1/registry/token (docker-token credentials: license lookup, row
 * lock, ES256 JWT, registry_credentials row and audit event in one transaction) against GET /healthz in the
 * same run, through the whole billing app on real PostgreSQL with the production rate limits in PostgreSQL,
 * load from a separate process (bench/registry-load.ts) spread over enough keys and client addresses that
 * nothing is refused; (2) pulling a small image (skopeo copy to an OCI layout) from the real docker-registry
 * with token authentication (billing as the realm) against the same storage served without authentication.
 * Writes bench/results/registry-token.json and bench/results/registry-pull.json.
 * Run: npm run bench -- registry   (small proof run: BENCH_REGISTRY_SCALE=0.1)
 */
import { execFile, spawn } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { loadavg, tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { REGISTRY_RATE_LIMITS } from "../billing/registry/router.js";
import { PRO_REPO, startRegistrySetup } from "../billing/registry/test-setup.js";
import { startPostgres } from "../test-support/postgres/server.js";
import { startRegistry } from "../test-support/registry/index.js";
import { writeBenchResult } from "./write-result.js";

const SCALE = Number(process.env.BENCH_REGISTRY_SCALE ?? 1);
const REQUESTS = Math.max(100, Math.round(3000 * SCALE));
const PULLS = Math.max(3, Math.round(30 * SCALE));
const CONCURRENCY = 16;
const here = dirname(fileURLToPath(import.meta.url));
const run = promisify(execFile);

interface LoadResult {
  requests: number;
  failures: number;
  statuses: Record<string, number>;
  perSecond: number;
  p50Ms: number;
  p99Ms: number;
}

function load(url: string, kind: "token" | "healthz", keysFile: string): Promise<LoadResult> {
  const args = [
    "--import",
    "tsx",
    join(here, "registry-load.ts"),
    url,
    kind,
    String(REQUESTS),
    String(CONCURRENCY),
    keysFile,
  ];
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, { stdio: ["ignore", "pipe", "inherit"] });
    let out = "";
    child.stdout.on("data", (d) => (out += d));
    child.on("exit", (code) => {
      if (code !== 0) return reject(new Error(`load generator exited ${code}`));
      const result = JSON.parse(out.trim().split("\n").pop()!) as LoadResult;
      if (result.failures > 0) return reject(new Error(`${kind}: ${JSON.stringify(result.statuses)}`));
      resolve(result);
    });
  });
}

async function pullTimes(
  host: string,
  digest: string,
  creds: (pull: number) => string[],
): Promise<{ medianMs: number; p90Ms: number }> {
  const times: number[] = [];
  for (let i = 0; i < PULLS; i++) {
    const dest = mkdtempSync(join(tmpdir(), "bench-pull-"));
    const t = performance.now();
    await run("skopeo", [
      "copy",
      "--src-tls-verify=false",
      ...creds(i),
      `docker://${host}/${PRO_REPO}@${digest}`,
      `oci:${dest}:x`,
    ]);
    times.push(performance.now() - t);
    rmSync(dest, { recursive: true, force: true });
  }
  times.sort((a, b) => a - b);
  return {
    medianMs: +times[Math.floor(times.length / 2)]!.toFixed(1),
    p90Ms: +times[Math.min(times.length - 1, Math.floor(times.length * 0.9))]!.toFixed(1),
  };
}

const postgres = await startPostgres();
const s = await startRegistrySetup({}, await postgres.createDatabase("bench_registry"));
const dir = mkdtempSync(join(tmpdir(), "bench-registry-"));
try {
  // Enough keys that no key passes its per-key limit (one window for the whole run).
  const perKey = REGISTRY_RATE_LIMITS.perKey.limit - 5;
  const keys: string[] = [];
  for (let i = 0; i < Math.ceil((REQUESTS + 20) / perKey); i++)
    keys.push((await s.license(i % 2 ? "enterprise" : "pro")).key);
  const keysFile = join(dir, "keys.json");
  writeFileSync(keysFile, JSON.stringify(keys));
  const loadBefore = loadavg()[0];
  const healthz = await load(s.h.url, "healthz", keysFile);
  const token = await load(s.h.url, "token", keysFile);
  writeBenchResult("registry", "token", {
    requests: REQUESTS,
    concurrency: CONCURRENCY,
    keys: keys.length,
    loadAverageBefore: loadBefore,
    baseline: { route: "GET /healthz", ...healthz },
    token: { route: "POST /v1/registry/token (docker-token)", ...token },
    ratio: {
      perSecond: +(token.perSecond / healthz.perSecond).toFixed(3),
      p50: +(token.p50Ms / healthz.p50Ms).toFixed(2),
    },
  });

  // The same storage without authentication (the registry reads it; nothing writes during the run).
  const open = await startRegistry({ storageDirectory: s.storageDirectory });
  try {
    const withoutAuth = await pullTimes(open.host, s.proDigest, () => []);
    // Fresh keys, used by no load above: a pull asks billing for a token (sometimes two), and one key may ask
    // REGISTRY_RATE_LIMITS.perKey.limit times a minute — the bench measures pulls, not the limiter.
    const pullKeys: string[] = [];
    for (let i = 0; i < Math.ceil(PULLS / 10); i++) pullKeys.push((await s.license("pro")).key);
    const withToken = await pullTimes(s.registry.host, s.proDigest, (pull) => [
      "--src-creds",
      `license:${pullKeys[Math.floor(pull / 10)]}`,
    ]);
    writeBenchResult("registry", "pull", {
      pulls: PULLS,
      image: "tiny (one small layer)",
      baseline: { registry: "no auth", ...withoutAuth },
      tokenAuth: { registry: "auth: token, realm = billing", ...withToken },
      ratio: { median: +(withToken.medianMs / withoutAuth.medianMs).toFixed(2) },
    });
  } finally {
    await open.stop();
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
  await s.stop();
  await postgres.stop();
}
process.exit(0);
