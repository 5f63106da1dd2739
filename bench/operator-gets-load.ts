/**
 * The raw-get baseline of bench/operator-throughput.bench.ts, in its own process: `GetWorkstation` of every
 * name in a JSON file through the operator's own gateway (operator/gcp/workstations.ts, gRPC, insecure) to
 * the fake Cloud Workstations of the benchmark's process, `concurrency` in flight (the operator's workers).
 *   node --import tsx bench/operator-gets-load.ts <host:port> <names.json> <concurrency>
 * Prints one JSON line: calls, seconds, gets per second and this process's CPU per get (the loop only; the
 * warm-up and the module loading are not counted).
 */
import { readFileSync } from "node:fs";
import { cpuUsage } from "node:process";
import { createWorkstationsGateway } from "../operator/gcp/workstations.js";
import { pool } from "./operator-fleet.js";

const [endpoint, namesFile, concurrencyArg] = process.argv.slice(2);
if (!endpoint || !namesFile) {
  console.error("usage: operator-gets-load.ts <host:port> <names.json> <concurrency>");
  process.exit(2);
}
process.env.METADATA_SERVER_DETECTION = "none";
const [host, port] = endpoint.split(":");
const names = JSON.parse(readFileSync(namesFile, "utf8")) as string[];
const concurrency = Number(concurrencyArg ?? 16);
const gateway = createWorkstationsGateway({
  apiEndpoint: host!,
  port: Number(port),
  insecure: true,
  projectId: "bench",
});
// Warm-up: the channel, the generated clients and the JIT, as the operator's are warm after its first pass.
await pool(Math.min(200, names.length), concurrency, async (i) => {
  if (!(await gateway.get(names[i]!))) throw new Error(`no workstation ${names[i]}`);
});
const cpuBefore = cpuUsage();
const seconds = await pool(names.length, concurrency, async (i) => {
  if (!(await gateway.get(names[i]!))) throw new Error(`no workstation ${names[i]}`);
});
const cpu = cpuUsage(cpuBefore);
await gateway.close();
console.log(
  JSON.stringify({
    calls: names.length,
    seconds,
    getsPerSecond: names.length / seconds,
    cpuMsPerGet: (cpu.user + cpu.system) / 1000 / names.length,
  }),
);
process.exit(0);
