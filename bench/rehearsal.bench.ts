/**
 * Rehearsal wall time (`npm run rehearse`'s work, in-process): render once, then ROUNDS full rehearsals of
 * the prod stack, each with its per-step breakdown. Baseline in the same run: starting the operator bundle
 * plainly (node, no mount namespace, no probe) until its readiness probe answers — what the pod runner
 * and the instrumentation add on top of a bare process start. The load average is recorded before and
 * after, because the two cores are shared. The figures hold whether the rehearsal passes or fails; the
 * verdict of each round is recorded with them.
 * Run: npm run bench -- rehearsal     → bench/results/rehearsal-wall-time.json
 */
import { spawn } from "node:child_process";
import { loadavg } from "node:os";
import { join } from "node:path";
import { bundleService } from "../images/service-bundle.js";
import { renderForRehearsal } from "../rehearsal/plan.js";
import { rehearse } from "../rehearsal/run.js";
import { REPO_ROOT } from "../stacks/plan/stack-file.js";
import { startKubeApiServer } from "../test-support/kube-apiserver/index.js";
import { freePort } from "../test-support/postgres/server.js";
import { waitFor } from "../test-support/wait.js";
import { writeBenchResult } from "./write-result.js";

const ROUNDS = Number(process.env.BENCH_REHEARSAL_ROUNDS ?? 3);

async function bareOperatorStartMs(): Promise<number> {
  const api = await startKubeApiServer();
  const dir = join(REPO_ROOT, ".tmp", "bench-rehearsal");
  const bundle = bundleService("operator", join(dir, "operator.mjs"));
  const kubeconfig = join(dir, "kubeconfig");
  api.writeKubeconfig(kubeconfig);
  const port = await freePort();
  const started = performance.now();
  const child = spawn(process.execPath, [bundle], {
    cwd: REPO_ROOT,
    stdio: "ignore",
    env: {
      PATH: process.env.PATH,
      KUBECONFIG: kubeconfig,
      WORKSTATIONS_PROJECT: "p",
      WORKSTATIONS_REGION: "us-central1",
      WORKSTATIONS_CLUSTER: "c",
      WORKSTATIONS_TIER_CONFIGS: "standard=s,power=p,ai=a",
      WORKSTATIONS_ENDPOINT: "127.0.0.1:9",
      WORKSTATIONS_INSECURE: "true",
      METADATA_SERVER_DETECTION: "none",
      OPERATOR_LEADER_ELECTION: "false",
      OPERATOR_PROBE_PORT: String(port),
    },
  });
  try {
    await waitFor("bare operator ready", async () => (await fetch(`http://127.0.0.1:${port}/healthz`)).ok, {
      timeoutMs: 60_000,
      intervalMs: 20,
    });
    return Math.round(performance.now() - started);
  } finally {
    child.kill("SIGKILL");
    await api.stop();
  }
}

async function main(): Promise<void> {
  const loadBefore = loadavg();
  const render = await renderForRehearsal("prod");
  const baselineMs = await bareOperatorStartMs();
  const rounds = [];
  for (let i = 0; i < ROUNDS; i++) {
    const started = performance.now();
    const result = await rehearse(structuredClone(render.rendered), { root: REPO_ROOT });
    rounds.push({
      totalMs: Math.round(performance.now() - started),
      verdict: result.ok ? "PASS" : "FAIL",
      failures: result.failures.length,
      steps: Object.fromEntries(result.steps.map((s) => [s.name, s.ms])),
    });
    console.log(`round ${i + 1}: ${rounds.at(-1)!.totalMs} ms (${rounds.at(-1)!.verdict})`);
  }
  const totals = rounds.map((r) => r.totalMs).sort((a, b) => a - b);
  writeBenchResult("rehearsal", "wall-time", {
    rounds: ROUNDS,
    renderMs: render.step.ms,
    medianRehearsalMs: totals[Math.floor(totals.length / 2)],
    baseline: { bareOperatorStartToHealthyMs: baselineMs },
    loadAverage: { before: loadBefore, after: loadavg() },
    perRound: rounds,
  });
  process.exit(0);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
