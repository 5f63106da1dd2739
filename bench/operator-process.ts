/**
 * The operator as its own process for the operator benchmarks (issue 18: "measure the operator alone,
 * not with the servers in-process"): `operator/main.ts` bundled by esbuild exactly as operator/Dockerfile
 * bundles it and run by plain node (no TypeScript loader in the process), against the API test server
 * and the fake Cloud Workstations of the benchmark's process. Resident memory is read from
 * /proc/<pid>/status (VmRSS), so it is the operator's alone.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { mkdirSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { bundleService } from "../images/service-bundle.js";
import { waitFor } from "../test-support/wait.js";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");

export interface OperatorProcess {
  child: ChildProcess;
  /** Resolves with the first JSON log line whose message starts with `prefix`. */
  waitForLog(prefix: string, timeoutMs?: number): Promise<Record<string, unknown>>;
  /** The process's resident set size in bytes (VmRSS). */
  rss(): number;
  /** Collects garbage in the process (bench/operator-gc-probe.mjs) and returns its memory then. */
  afterGc(): Promise<{ rss: number; heapUsed: number; external: number }>;
  stop(): Promise<void>;
}

/** Bundles operator/main.ts as operator/Dockerfile does; returns the path of the .mjs (inside the repo). */
export async function bundleOperator(): Promise<string> {
  const outdir = join(root, ".tmp", "bench-operator");
  mkdirSync(outdir, { recursive: true });
  const outfile = join(outdir, "operator.mjs");
  // The esbuild flags of operator/Dockerfile (images/service-bundle.test.ts keeps the two in step).
  return bundleService("operator", outfile, root);
}

export function spawnOperator(options: {
  /** From bundleOperator(). */
  bundle: string;
  kubeconfig: string;
  home: string;
  workstationsEndpoint: { host: string; port: number };
  env?: Record<string, string>;
}): OperatorProcess {
  const probe = join(root, "bench", "operator-gc-probe.mjs");
  const flags = (process.env.BENCH_OPERATOR_NODE_FLAGS ?? "").split(" ").filter(Boolean);
  const child = spawn(process.execPath, [...flags, "--expose-gc", "--import", probe, options.bundle], {
    cwd: root,
    env: {
      PATH: process.env.PATH ?? "",
      HOME: options.home,
      KUBECONFIG: options.kubeconfig,
      WORKSTATIONS_PROJECT: "bench",
      WORKSTATIONS_REGION: "us-central1",
      WORKSTATIONS_CLUSTER: "bench",
      WORKSTATIONS_TIER_CONFIGS: "standard=coditect-standard",
      WORKSTATIONS_ENDPOINT: `${options.workstationsEndpoint.host}:${options.workstationsEndpoint.port}`,
      WORKSTATIONS_INSECURE: "true",
      OPERATOR_LEADER_ELECTION: "false",
      OPERATOR_PROBE_PORT: "0",
      METADATA_SERVER_DETECTION: "none",
      LOG_LEVEL: "info",
      NODE_ENV: "production",
      ...(process.env.BENCH_OPERATOR_MALLOC_ARENA_MAX
        ? { MALLOC_ARENA_MAX: process.env.BENCH_OPERATOR_MALLOC_ARENA_MAX }
        : {}),
      // BENCH_OPERATOR_ENV="A=1 B=2": more variables for the operator process (e.g. glibc malloc tunables).
      ...Object.fromEntries(
        (process.env.BENCH_OPERATOR_ENV ?? "")
          .split(" ")
          .filter((pair) => pair.includes("="))
          .map((pair) => [pair.slice(0, pair.indexOf("=")), pair.slice(pair.indexOf("=") + 1)]),
      ),
      ...options.env,
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  const lines: Record<string, unknown>[] = [];
  let partial = "";
  let stderr = "";
  child.stdout!.on("data", (chunk) => {
    partial += chunk;
    const parts = partial.split("\n");
    partial = parts.pop() ?? "";
    for (const line of parts) {
      try {
        lines.push(JSON.parse(line) as Record<string, unknown>);
      } catch {
        // not a log line
      }
    }
    // Keep only what is searched for: the benchmark runs for minutes.
    if (lines.length > 1_000) lines.splice(0, lines.length - 1_000);
  });
  child.stderr!.on("data", (chunk) => {
    stderr = (stderr + chunk).slice(-4_000);
  });
  const exited = new Promise<void>((resolve) => child.on("exit", () => resolve()));
  return {
    child,
    waitForLog: (prefix, timeoutMs = 600_000) =>
      waitFor(
        `operator log "${prefix}"`,
        () => {
          if (child.exitCode !== null) throw new Error(`operator exited ${child.exitCode}: ${stderr}`);
          return lines.find((l) => String(l.message ?? l.msg).startsWith(prefix));
        },
        { timeoutMs, intervalMs: 100 },
      ),
    rss: () => {
      const status = readFileSync(`/proc/${child.pid}/status`, "utf8");
      const kb = /VmRSS:\s+(\d+) kB/.exec(status)?.[1];
      if (!kb) throw new Error(`no VmRSS for operator pid ${child.pid}`);
      return Number(kb) * 1024;
    },
    afterGc: async () => {
      const seen = lines.filter((l) => l.message === "gc probe").length;
      child.kill("SIGUSR2");
      const probed = await waitFor(
        "gc probe answer",
        () =>
          lines.filter((l) => l.message === "gc probe")[seen] ??
          lines.filter((l) => l.message === "gc probe").at(-1),
        { timeoutMs: 60_000, intervalMs: 50 },
      );
      return probed as unknown as { rss: number; heapUsed: number; external: number };
    },
    stop: async () => {
      if (child.exitCode === null) child.kill("SIGTERM");
      await exited;
    },
  };
}
