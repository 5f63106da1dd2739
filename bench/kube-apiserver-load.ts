/**
 * Load generator for bench/kube-apiserver-auth.bench.ts, run as its own process so the client's CPU is not
 * charged to the server: GETs and merge PATCHes of existing Widgets over keep-alive connections (HTTPS with
 * the given CA when the URL is https), with a bearer token. Prints one JSON line with the rates.
 * Usage: tsx bench/kube-apiserver-load.ts <url> <token> <ca-file|-> <base-path> <objects> <gets> <patches> <concurrency>
 */
import { readFileSync } from "node:fs";
import { Agent as HttpAgent, request as httpRequest } from "node:http";
import { Agent as HttpsAgent, request as httpsRequest } from "node:https";

const [url, token, caFile, base, objectsRaw, getsRaw, patchesRaw, concurrencyRaw] = process.argv.slice(2);
if (!url || !token || !caFile || !base || !objectsRaw || !getsRaw || !patchesRaw || !concurrencyRaw) {
  console.error(
    "usage: kube-apiserver-load.ts <url> <token> <ca-file|-> <base-path> <objects> <gets> <patches> <concurrency>",
  );
  process.exit(2);
}
const objects = Number(objectsRaw);
const concurrency = Number(concurrencyRaw);
const secure = url.startsWith("https:");
const agent = secure
  ? new HttpsAgent({ keepAlive: true, maxSockets: concurrency, ca: readFileSync(caFile, "utf8") })
  : new HttpAgent({ keepAlive: true, maxSockets: concurrency });
const send = secure ? httpsRequest : httpRequest;

function call(method: string, path: string, body?: string): Promise<void> {
  const headers: Record<string, string | number> = {
    Authorization: `Bearer ${token}`,
    Accept: "application/json",
  };
  if (body !== undefined) {
    headers["Content-Type"] = "application/merge-patch+json";
    headers["Content-Length"] = Buffer.byteLength(body);
  }
  return new Promise((resolve, reject) => {
    const req = send(`${url}${path}`, { method, agent, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (c: Buffer) => chunks.push(c));
      res.on("end", () => {
        if ((res.statusCode ?? 500) >= 300)
          reject(new Error(`${method} ${path} → ${res.statusCode}: ${Buffer.concat(chunks)}`));
        else resolve();
      });
    });
    req.on("error", reject);
    req.end(body);
  });
}

async function pool(count: number, task: (i: number) => Promise<void>): Promise<number> {
  const started = performance.now();
  let next = 0;
  const worker = async () => {
    while (next < count) await task(next++);
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  return (performance.now() - started) / 1000;
}

const name = (i: number) => `w-${String(i % objects).padStart(5, "0")}`;
const gets = Number(getsRaw);
const patches = Number(patchesRaw);
// Warm-up: open the connections (TLS handshakes) before measuring.
await pool(concurrency * 2, (i) => call("GET", `${base}/${name(i)}`));
const getSeconds = await pool(gets, (i) => call("GET", `${base}/${name(i)}`));
const patchSeconds = await pool(patches, (i) =>
  call("PATCH", `${base}/${name(i)}`, JSON.stringify({ spec: { name: `n-${i}` } })),
);
agent.destroy();
console.log(
  JSON.stringify({
    getsPerSecond: Math.round(gets / getSeconds),
    patchesPerSecond: Math.round(patches / patchSeconds),
  }),
);
