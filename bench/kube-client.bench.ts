/**
 * lib/kube against @kubernetes/client-node 2 (the baseline, measured in the same run), each in its own
 * process (bench/kube-client-load.ts, bundled as the services are):
 *   - memory: RSS and heap after a GC of a Node process that imported nothing, client-node, or lib/kube
 *     (ADR 0310: client-node's ~85 MB was most of the operator's empty baseline, issue 18 goal 4);
 *   - requests: GETs and merge PATCHes of Widgets (3 : 1) with CONCURRENCY in flight against the API test
 *     server over TLS with RBAC (this process): requests/s and the client process's CPU per request.
 * Best of ROUNDS interleaved rounds per client. BENCH_KUBE_CLIENT_REQUESTS (default 5,000) sets the count.
 * Run: npm run bench -- kube-client
 */
import { spawn } from "node:child_process";
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { build } from "esbuild";
import { createKubeClient } from "../lib/kube/client.js";
import { NamespaceResource } from "../lib/kube/resources.js";
import { FIXTURES_DIR, widget } from "../test-support/kube-apiserver/fixtures/helpers.js";
import { startKubeApiServer } from "../test-support/kube-apiserver/index.js";
import { kubeConnectionFor } from "../test-support/kube-apiserver/kubeconfig.js";
import { writeBenchResult } from "./write-result.js";

const ROOT = join(import.meta.dirname, "..");
const REQUESTS = Number(process.env.BENCH_KUBE_CLIENT_REQUESTS ?? 5_000);
const CONCURRENCY = 16;
const OBJECTS = 100;
const ROUNDS = 3;
const NS = "bench-kube-client";

const outdir = join(ROOT, ".tmp", "bench-kube-client");
mkdirSync(outdir, { recursive: true });
await build({
  entryPoints: [join(ROOT, "bench", "kube-client-load.ts")],
  bundle: true,
  splitting: true,
  platform: "node",
  target: "node24",
  format: "esm",
  packages: "external",
  outdir,
  logLevel: "warning",
});
const loader = join(outdir, "kube-client-load.js");

/** Runs the load script in its own process (async: the API test server in this process must keep answering). */
function run(args: string[]): Promise<Record<string, number | string>> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ["--expose-gc", loader, ...args], { cwd: ROOT });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk) => {
      stdout += chunk;
    });
    child.stderr.on("data", (chunk) => {
      stderr += chunk;
    });
    child.on("error", reject);
    child.on("close", (code) => {
      if (code !== 0) reject(new Error(`kube-client-load ${args.join(" ")} failed: ${stderr}`));
      else resolve(JSON.parse(stdout.trim().split("\n").at(-1)!) as Record<string, number | string>);
    });
  });
}

const best = <T extends Record<string, number | string>>(rounds: T[], key: string, lowest: boolean): T =>
  rounds.reduce((a, b) => ((lowest ? b[key]! < a[key]! : b[key]! > a[key]!) ? b : a));

// Memory: the lowest of ROUNDS per import (other processes' noise only ever adds).
const memory: Record<string, Record<string, number | string>> = {};
for (const which of ["none", "client-node", "lib-kube"]) {
  const measured = [];
  for (let round = 0; round < ROUNDS; round++) measured.push(await run(["memory", which]));
  memory[which] = best(measured, "rssMb", true);
}

const server = await startKubeApiServer({ crdDirs: [FIXTURES_DIR], tls: true, rbac: true });
const kubeconfig = join(outdir, "kubeconfig");
server.writeKubeconfig(kubeconfig);
const setup = createKubeClient(
  kubeConnectionFor({ url: server.url, caPem: server.caPem, token: server.adminToken }),
);
await setup.resource(NamespaceResource).create({ metadata: { name: NS } });
const widgets = setup.resource({
  group: "test.coditect.ai",
  version: "v1",
  plural: "widgets",
  kind: "Widget",
});
for (let i = 0; i < OBJECTS; i++)
  await widgets.create({ ...widget(`w-${i}`), metadata: { name: `w-${i}`, namespace: NS } });
await setup.close();

const rounds: Record<string, Record<string, number | string>[]> = { "lib-kube": [], "client-node": [] };
for (let round = 0; round < ROUNDS; round++) {
  for (const which of Object.keys(rounds)) {
    rounds[which]!.push(
      await run(["requests", which, kubeconfig, NS, String(OBJECTS), String(REQUESTS), String(CONCURRENCY)]),
    );
  }
}
await server.stop();
const requests = Object.fromEntries(
  Object.entries(rounds).map(([which, r]) => [which, best(r, "requestsPerSecond", false)]),
);

const ratio = (a: unknown, b: unknown) => Math.round((Number(a) / Number(b)) * 100) / 100;
writeBenchResult("kube-client", "requests-memory", {
  note: "each client in its own bundled process; best of 3 interleaved rounds; API test server over TLS + RBAC in the bench process",
  requests: REQUESTS,
  concurrency: CONCURRENCY,
  memory,
  importRssOverBareNodeMb: {
    "client-node": Math.round((Number(memory["client-node"]!.rssMb) - Number(memory.none!.rssMb)) * 10) / 10,
    "lib-kube": Math.round((Number(memory["lib-kube"]!.rssMb) - Number(memory.none!.rssMb)) * 10) / 10,
  },
  requestRounds: rounds,
  best: requests,
  libKubeVsClientNode: {
    requestsPerSecond: ratio(
      requests["lib-kube"]!.requestsPerSecond,
      requests["client-node"]!.requestsPerSecond,
    ),
    cpuMsPerRequest: ratio(requests["lib-kube"]!.cpuMsPerRequest, requests["client-node"]!.cpuMsPerRequest),
  },
});
