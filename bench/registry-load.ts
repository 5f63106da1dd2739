/**
 * Load generator for bench/registry-token.bench.ts, its own process so the client's CPU is not charged to
 * billing: POST /v1/registry/token (one license key per request, round robin) or GET /healthz (the
 * baseline) over keep-alive connections, each request from its own client address as Google's load
 * balancer reports it (X-Forwarded-For "<client>, <lb>", ADR 0146). Prints one JSON line: requests,
 * failures, statuses, perSecond, p50Ms, p99Ms.
 * Usage: tsx bench/registry-load.ts <url> <token|healthz> <requests> <concurrency> <keys.json>
 */
import { readFileSync } from "node:fs";
import { Agent, request } from "node:http";
import { runClosedLoop } from "./closed-loop.js";

const [url, kind, requestsRaw, concurrencyRaw, keysFile] = process.argv.slice(2);
if (!url || (kind !== "token" && kind !== "healthz") || !requestsRaw || !concurrencyRaw || !keysFile) {
  console.error("usage: registry-load.ts <url> <token|healthz> <requests> <concurrency> <keys.json>");
  process.exit(2);
}
const requests = Number(requestsRaw);
const concurrency = Number(concurrencyRaw);
const keys = JSON.parse(readFileSync(keysFile, "utf8")) as string[];
const agent = new Agent({ keepAlive: true, maxSockets: concurrency });
const clientIp = (i: number) => `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`;
const expected = kind === "token" ? 201 : 200;

function send(i: number): Promise<number> {
  const headers: Record<string, string> = { "x-forwarded-for": `${clientIp(i)}, 34.120.0.1` };
  if (kind === "token") headers.authorization = `Bearer ${keys[i % keys.length]}`;
  const path = kind === "token" ? "/v1/registry/token" : "/healthz";
  return new Promise((resolve, reject) => {
    const req = request(
      `${url}${path}`,
      { method: kind === "token" ? "POST" : "GET", agent, headers },
      (res) => {
        res.resume();
        res.on("end", () => resolve(res.statusCode ?? 0));
      },
    );
    req.on("error", reject);
    req.end();
  });
}

console.log(JSON.stringify(await runClosedLoop(requests, concurrency, expected, send)));
