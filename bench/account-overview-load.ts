/**
 * Load generator for bench/account-overview.bench.ts, its own process so the client's CPU is not charged to
 * billing: GET <url><path> with the session cookie over keep-alive connections, closed loop
 * (bench/closed-loop.ts). Prints one JSON line: requests, failures, statuses, perSecond, p50Ms, p99Ms.
 * Usage: tsx bench/account-overview-load.ts <url> <path> <cookie> <requests> <concurrency>
 */
import { Agent, request } from "node:http";
import { runClosedLoop } from "./closed-loop.js";

const [url, path, cookie, requestsRaw, concurrencyRaw] = process.argv.slice(2);
if (!url || !path || cookie === undefined || !requestsRaw || !concurrencyRaw) {
  console.error("usage: account-overview-load.ts <url> <path> <cookie> <requests> <concurrency>");
  process.exit(2);
}
const concurrency = Number(concurrencyRaw);
const agent = new Agent({ keepAlive: true, maxSockets: concurrency });

function send(): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request(`${url}${path}`, { agent, headers: { cookie } }, (res) => {
      res.resume();
      res.on("end", () => resolve(res.statusCode ?? 0));
    });
    req.on("error", reject);
    req.end();
  });
}

console.log(JSON.stringify(await runClosedLoop(Number(requestsRaw), concurrency, 200, send)));
agent.destroy();
