/**
 * Load generator for bench/sessions-ratelimit.bench.ts, run as its own process so the client's CPU is not
 * charged to billing: POST /v1/sessions/validate (one license key per request, round robin, a fresh
 * container id each) or POST /v1/sessions/heartbeat (one session token per request, round robin) over
 * keep-alive connections, each request from its own client address as Google's load balancer reports it
 * (X-Forwarded-For "<client>, <lb>", ADR 0146), so the per-IP limits run but never refuse. Prints one JSON
 * line: requests, failures, statuses, perSecond, p50Ms, p99Ms.
 * Usage: tsx bench/sessions-ratelimit-load.ts <url> <validate|heartbeat> <requests> <concurrency> <inputs.json> <tag>
 */
import { readFileSync } from "node:fs";
import { Agent, request } from "node:http";
import { runClosedLoop } from "./closed-loop.js";

const [url, kind, requestsRaw, concurrencyRaw, inputsFile, tag] = process.argv.slice(2);
if (
  !url ||
  (kind !== "validate" && kind !== "heartbeat") ||
  !requestsRaw ||
  !concurrencyRaw ||
  !inputsFile ||
  !tag
) {
  console.error(
    "usage: sessions-ratelimit-load.ts <url> <validate|heartbeat> <requests> <concurrency> <inputs.json> <tag>",
  );
  process.exit(2);
}
const requests = Number(requestsRaw);
const concurrency = Number(concurrencyRaw);
/** License keys (validate) or session tokens (heartbeat). */
const inputs = JSON.parse(readFileSync(inputsFile, "utf8")) as string[];
const agent = new Agent({ keepAlive: true, maxSockets: concurrency });
const usage = JSON.stringify({ cpuPercent: 12, memoryBytes: 1_000_000, uptimeSeconds: 300 });
const clientIp = (i: number) => `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`;

function send(i: number): Promise<number> {
  const input = inputs[i % inputs.length]!;
  const headers: Record<string, string | number> = {
    "content-type": "application/json",
    "x-forwarded-for": `${clientIp(i)}, 34.120.0.1`,
  };
  let path: string;
  let body: string;
  if (kind === "validate") {
    path = "/v1/sessions/validate";
    body = JSON.stringify({ licenseKey: input, containerId: `${tag}-${i}`, containerType: "docker" });
  } else {
    path = "/v1/sessions/heartbeat";
    body = usage;
    headers.authorization = `Bearer ${input}`;
  }
  headers["content-length"] = Buffer.byteLength(body);
  return new Promise((resolve, reject) => {
    const req = request(`${url}${path}`, { method: "POST", agent, headers }, (res) => {
      res.resume();
      res.on("end", () => resolve(res.statusCode ?? 0));
    });
    req.on("error", reject);
    req.end(body);
  });
}

const expected = kind === "validate" ? 201 : 200;
const result = await runClosedLoop(requests, concurrency, expected, send);
agent.destroy();
console.log(JSON.stringify(result));
