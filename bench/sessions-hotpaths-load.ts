/**
 * Load generator for bench/sessions-hotpaths.bench.ts, run as its own process so the client's CPU is not
 * charged to billing: GET /healthz (the baseline), POST /v1/sessions/heartbeat (one session token per
 * request, round robin) or POST /v1/sessions/validate (one license key per request, round robin, a fresh
 * container id each), over keep-alive connections, each request from its own client address as Google's
 * load balancer reports it (ADR 0146), so the per-IP limits run but never refuse. A validate refused with
 * 429 seat_limit_reached is an expected answer (counted as "429:seat_limit_reached"); any other 429 is not.
 * Prints one JSON line: requests, failures, statuses, perSecond, p50Ms, p99Ms, and loadCpuMs — this process's
 * CPU during the loop only (not its start: tsx, module loading), so the benchmark can charge it per request.
 * Usage: tsx bench/sessions-hotpaths-load.ts <url> <healthz|heartbeat|validate> <requests> <concurrency> <inputs.json> <tag>
 */
import { readFileSync } from "node:fs";
import { Agent, request } from "node:http";
import { ownCpuSeconds } from "./billing-cpu.js";
import { runClosedLoop } from "./closed-loop.js";

const [url, kind, requestsRaw, concurrencyRaw, inputsFile, tag] = process.argv.slice(2);
if (
  !url ||
  !["healthz", "heartbeat", "validate"].includes(kind ?? "") ||
  !requestsRaw ||
  !concurrencyRaw ||
  !tag
) {
  console.error(
    "usage: sessions-hotpaths-load.ts <url> <healthz|heartbeat|validate> <requests> <concurrency> <inputs.json> <tag>",
  );
  process.exit(2);
}
const requests = Number(requestsRaw);
const concurrency = Number(concurrencyRaw);
/** Session tokens (heartbeat) or license keys (validate); unused for healthz. */
const inputs = kind === "healthz" ? [] : (JSON.parse(readFileSync(inputsFile!, "utf8")) as string[]);
const agent = new Agent({ keepAlive: true, maxSockets: concurrency });
const usage = JSON.stringify({ cpuPercent: 12, memoryBytes: 1_000_000, uptimeSeconds: 300 });
const clientIp = (i: number) => `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`;
/** Statuses by answer: "201", "200", "429:seat_limit_reached", "429:rate_limited", … */
const answers: Record<string, number> = {};

function send(i: number): Promise<number> {
  const headers: Record<string, string | number> = { "x-forwarded-for": `${clientIp(i)}, 34.120.0.1` };
  let path = "/healthz";
  let body: string | undefined;
  if (kind === "validate") {
    path = "/v1/sessions/validate";
    body = JSON.stringify({
      licenseKey: inputs[i % inputs.length],
      containerId: `${tag}-${i}`,
      containerType: "docker",
    });
  } else if (kind === "heartbeat") {
    path = "/v1/sessions/heartbeat";
    body = usage;
    headers.authorization = `Bearer ${inputs[i % inputs.length]}`;
  }
  if (body !== undefined) {
    headers["content-type"] = "application/json";
    headers["content-length"] = Buffer.byteLength(body);
  }
  return new Promise((resolve, reject) => {
    const req = request(`${url}${path}`, { method: body ? "POST" : "GET", agent, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (c: Buffer) => chunks.push(c));
      res.on("end", () => {
        const status = res.statusCode ?? 0;
        let label = String(status);
        if (status >= 400) {
          try {
            label += `:${(JSON.parse(Buffer.concat(chunks).toString()) as { error?: { code?: string } }).error?.code}`;
          } catch {
            label += ":unparsed";
          }
        }
        answers[label] = (answers[label] ?? 0) + 1;
        // A seat refusal is validate's expected other answer: count it with the admissions.
        resolve(label === "429:seat_limit_reached" ? 201 : status);
      });
    });
    req.on("error", reject);
    req.end(body);
  });
}

const expected = kind === "validate" ? 201 : 200;
const cpuBefore = ownCpuSeconds();
const result = await runClosedLoop(requests, concurrency, expected, send);
const loadCpuMs = +((ownCpuSeconds() - cpuBefore) * 1000).toFixed(1);
agent.destroy();
console.log(JSON.stringify({ ...result, statuses: answers, loadCpuMs }));
