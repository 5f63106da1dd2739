/**
 * The client side of bench/kube-client.bench.ts, bundled by it (esbuild, packages external, split so each
 * client is its own chunk) and run as its own process with --expose-gc, so memory and CPU are the client's.
 *   memory <none|client-node|lib-kube>          imports that client only; prints RSS/heap after a GC
 *   requests <lib-kube|client-node> <kubeconfig> <namespace> <objects> <requests> <concurrency>
 *     GETs and merge PATCHes (every fourth request) of existing Widgets; prints rate and CPU per request
 * Prints one JSON line.
 */
import { cpuUsage, memoryUsage } from "node:process";

const WIDGETS = { group: "test.coditect.ai", version: "v1", plural: "widgets" };
type Call = (i: number) => Promise<unknown>;

function mb(bytes: number): number {
  return Math.round((bytes / 1048576) * 10) / 10;
}

function afterGc() {
  (globalThis as { gc?: () => void }).gc?.();
  const usage = memoryUsage();
  return { rssMb: mb(usage.rss), heapUsedMb: mb(usage.heapUsed) };
}

async function memory(which: string): Promise<Record<string, unknown>> {
  if (which === "client-node") await import("@kubernetes/client-node");
  else if (which === "lib-kube") await import("../lib/kube/client.js");
  else if (which !== "none") throw new Error(`unknown client "${which}"`);
  return { which, ...afterGc() };
}

async function clientFor(
  which: string,
  kubeconfig: string,
  ns: string,
): Promise<{ call: Call; close: () => Promise<void> }> {
  const name = (i: number) => `w-${i}`;
  if (which === "lib-kube") {
    const { createKubeClient } = await import("../lib/kube/client.js");
    const { connectionFromKubeconfigFile } = await import("../lib/kube/connection.js");
    const kube = createKubeClient(connectionFromKubeconfigFile(kubeconfig));
    const widgets = kube.resource({ ...WIDGETS, kind: "Widget" });
    return {
      call: (i) =>
        i % 4 === 3 ? widgets.patch(ns, name(i), { spec: { count: (i % 9) + 1 } }) : widgets.get(ns, name(i)),
      close: () => kube.close(),
    };
  }
  const { CustomObjectsApi, KubeConfig, PatchStrategy, setHeaderOptions } = await import(
    "@kubernetes/client-node"
  );
  if (which !== "client-node") throw new Error(`unknown client "${which}"`);
  const kc = new KubeConfig();
  kc.loadFromFile(kubeconfig);
  const api = kc.makeApiClient(CustomObjectsApi);
  const merge = setHeaderOptions("Content-Type", PatchStrategy.MergePatch);
  return {
    call: (i) =>
      i % 4 === 3
        ? api.patchNamespacedCustomObject(
            { ...WIDGETS, namespace: ns, name: name(i), body: { spec: { count: (i % 9) + 1 } } },
            merge,
          )
        : api.getNamespacedCustomObject({ ...WIDGETS, namespace: ns, name: name(i) }),
    close: async () => {},
  };
}

async function requests(args: string[]): Promise<Record<string, unknown>> {
  const [which, kubeconfig, ns, objectsRaw, requestsRaw, concurrencyRaw] = args;
  if (!which || !kubeconfig || !ns || !objectsRaw || !requestsRaw || !concurrencyRaw) {
    throw new Error("usage: requests <client> <kubeconfig> <namespace> <objects> <requests> <concurrency>");
  }
  const [objects, total, concurrency] = [Number(objectsRaw), Number(requestsRaw), Number(concurrencyRaw)];
  const client = await clientFor(which, kubeconfig, ns);
  for (let i = 0; i < Math.min(200, total); i++) await client.call(i % objects); // warm-up
  const cpuBefore = cpuUsage();
  const started = performance.now();
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < total) await client.call(next++ % objects);
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  const cpu = cpuUsage(cpuBefore);
  await client.close();
  return {
    which,
    requests: total,
    seconds: Math.round(seconds * 1000) / 1000,
    requestsPerSecond: Math.round(total / seconds),
    cpuMsPerRequest: Math.round(((cpu.user + cpu.system) / 1000 / total) * 1000) / 1000,
    ...afterGc(),
  };
}

const [mode, ...rest] = process.argv.slice(2);
const result =
  mode === "memory" ? await memory(rest[0] ?? "") : mode === "requests" ? await requests(rest) : undefined;
if (!result) {
  console.error(
    "usage: kube-client-load memory <which> | requests <client> <kubeconfig> <ns> <objects> <requests> <concurrency>",
  );
  process.exit(2);
}
console.log(JSON.stringify(result));
