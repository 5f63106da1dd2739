/**
 * Throughput of the Kubernetes API test server (test-support/kube-apiserver) at the scale operator and
 * billing benchmarks use: 10,000 custom resources of one kind, writes over HTTP with concurrency, several
 * watchers, full and paged lists. Baseline in the same run: inserting the same objects into a plain Map.
 * Also compares create throughput at 0–1k vs 9k–10k stored objects (a per-write O(n) cost would show here).
 * Run: npm run bench -- kube-apiserver
 */
import { Agent, request } from "node:http";
import { loadavg } from "node:os";
import { FIXTURES_DIR, widget } from "../test-support/kube-apiserver/fixtures/helpers.js";
import { startKubeApiServer } from "../test-support/kube-apiserver/index.js";
import { writeBenchResult } from "./write-result.js";

const OBJECTS = 10_000;
const UPDATES = 5_000;
const CONCURRENCY = 16;
const WATCHERS = 4;
const NS = "bench";
const BASE = `/apis/test.coditect.ai/v1/namespaces/${NS}/widgets`;

function objectFor(i: number) {
  return widget(`w-${String(i).padStart(5, "0")}`, { count: (i % 10) + 1, tags: [`t${i % 3}`] }, {});
}

/** Runs `task(i)` for i in [from, to) with `CONCURRENCY` in flight; returns seconds taken. */
async function pool(from: number, to: number, task: (i: number) => Promise<void>): Promise<number> {
  const started = performance.now();
  let next = from;
  const worker = async () => {
    while (next < to) {
      const i = next++;
      await task(i);
    }
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, worker));
  return (performance.now() - started) / 1000;
}

// node:http with keep-alive is a lighter client than fetch, so the numbers say more about the server.
const agent = new Agent({ keepAlive: true, maxSockets: CONCURRENCY });

function send(url: string, method: string, body: unknown, contentType = "application/json"): Promise<void> {
  const payload = JSON.stringify(body);
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      {
        method,
        agent,
        headers: { "Content-Type": contentType, "Content-Length": Buffer.byteLength(payload) },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (c: Buffer) => chunks.push(c));
        res.on("end", () => {
          if ((res.statusCode ?? 500) >= 300)
            reject(new Error(`${method} ${url} → ${res.statusCode}: ${Buffer.concat(chunks)}`));
          else resolve();
        });
      },
    );
    req.on("error", reject);
    req.end(payload);
  });
}

/** Consumes a watch stream, counting events, until aborted. */
function startWatcher(url: string, counter: { events: number }, signal: AbortSignal): Promise<void> {
  return (async () => {
    const res = await fetch(url, { signal });
    const reader = res.body!.getReader();
    try {
      for (;;) {
        const { value, done } = await reader.read();
        if (done) return;
        for (const byte of value) if (byte === 10) counter.events += 1;
      }
    } catch {
      // aborted at the end of the benchmark
    }
  })();
}

async function main(): Promise<void> {
  // Baseline: the same objects into a Map (what storing without any API semantics costs).
  const baselineStart = performance.now();
  const map = new Map<string, unknown>();
  for (let i = 0; i < OBJECTS; i++) {
    const obj = objectFor(i);
    map.set(`${NS}/${obj.metadata.name}`, structuredClone(obj));
  }
  const baselineSeconds = (performance.now() - baselineStart) / 1000;

  const server = await startKubeApiServer({ crdDirs: [FIXTURES_DIR], watchHistorySize: 1000 });
  await send(`${server.url}/api/v1/namespaces`, "POST", { metadata: { name: NS } });

  const abort = new AbortController();
  const counters = Array.from({ length: WATCHERS }, () => ({ events: 0 }));
  const list0 = (await (await fetch(`${server.url}${BASE}`)).json()) as {
    metadata: { resourceVersion: string };
  };
  const watchers = counters.map((c) =>
    startWatcher(
      `${server.url}${BASE}?watch=true&resourceVersion=${list0.metadata.resourceVersion}`,
      c,
      abort.signal,
    ),
  );

  const createFirst = await pool(0, 1000, (i) => send(`${server.url}${BASE}`, "POST", objectFor(i)));
  const createMiddle = await pool(1000, OBJECTS - 1000, (i) =>
    send(`${server.url}${BASE}`, "POST", objectFor(i)),
  );
  const createLast = await pool(OBJECTS - 1000, OBJECTS, (i) =>
    send(`${server.url}${BASE}`, "POST", objectFor(i)),
  );
  const createSeconds = createFirst + createMiddle + createLast;

  const updateSeconds = await pool(0, UPDATES, (i) =>
    send(
      `${server.url}${BASE}/${objectFor(i * 2).metadata.name}`,
      "PATCH",
      { spec: { name: `updated-${i}` } },
      "application/merge-patch+json",
    ),
  );

  const expected = OBJECTS + UPDATES;
  const deliveryStart = performance.now();
  while (counters.some((c) => c.events < expected) && performance.now() - deliveryStart < 60_000) {
    await new Promise((r) => setTimeout(r, 10));
  }
  const watchCatchUpMs = performance.now() - deliveryStart;
  const watchEventsDelivered = counters.map((c) => c.events);

  const listStart = performance.now();
  const lists = 5;
  for (let i = 0; i < lists; i++) await (await fetch(`${server.url}${BASE}`)).arrayBuffer();
  const fullListMs = (performance.now() - listStart) / lists;

  const pagedStart = performance.now();
  let token: string | undefined;
  let pages = 0;
  do {
    const res = (await (
      await fetch(`${server.url}${BASE}?limit=500${token ? `&continue=${token}` : ""}`)
    ).json()) as { metadata: { continue?: string } };
    token = res.metadata.continue;
    pages += 1;
  } while (token);
  const pagedListMs = performance.now() - pagedStart;

  const selectorStart = performance.now();
  await (await fetch(`${server.url}${BASE}?fieldSelector=metadata.name%3Dw-05000`)).arrayBuffer();
  const selectorListMs = performance.now() - selectorStart;

  abort.abort();
  await Promise.allSettled(watchers);
  agent.destroy();
  await server.stop();

  const createsPerSecond = OBJECTS / createSeconds;
  const baselineInsertsPerSecond = OBJECTS / baselineSeconds;
  const result = {
    loadAverage1m: Number(loadavg()[0]!.toFixed(2)),
    objects: OBJECTS,
    concurrency: CONCURRENCY,
    watchers: WATCHERS,
    baseline: { mapInsertsPerSecond: Math.round(baselineInsertsPerSecond) },
    createsPerSecond: Math.round(createsPerSecond),
    createsPerSecondFirst1k: Math.round(1000 / createFirst),
    createsPerSecondLast1k: Math.round(1000 / createLast),
    updatesPerSecond: Math.round(UPDATES / updateSeconds),
    watchEventsExpectedPerWatcher: expected,
    watchEventsDelivered,
    watchCatchUpAfterLastWriteMs: Math.round(watchCatchUpMs),
    fullList10kMs: Math.round(fullListMs),
    pagedList10kMs: Math.round(pagedListMs),
    pages,
    fieldSelectorListMs: Math.round(selectorListMs),
    ratios: {
      createVsMapInsert: Number((createsPerSecond / baselineInsertsPerSecond).toFixed(5)),
      last1kVsFirst1kCreateRate: Number((createFirst / createLast).toFixed(3)),
    },
  };
  console.log(JSON.stringify(result, null, 2));
  writeBenchResult("kube-apiserver", "crud-watch", result);
  if (watchEventsDelivered.some((n) => n !== expected)) {
    console.error(`watchers received ${watchEventsDelivered.join(", ")} events, expected ${expected} each`);
    process.exit(1);
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
