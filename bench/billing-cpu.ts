/**
 * CPU time of the benchmark's processes from /proc (Linux): billing's, and PostgreSQL's (the postmaster and
 * every backend it forked). Per event it says where the machine's cores went — a number that, unlike
 * events per second, hardly depends on what else runs on the machine (issue 18 goal 6, ADR 0305/0306).
 * Also the calling process's own CPU (ownCpuSeconds: a load generator, or a benchmark hosting the API test
 * server) and the per-request arithmetic over a set of such readings (cpuMsPerRequest).
 */
import { execFileSync } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";

const CLOCK_TICKS = Number(execFileSync("getconf", ["CLK_TCK"], { encoding: "utf8" }).trim()) || 100;

interface Stat {
  pid: number;
  ppid: number;
  cpuSeconds: number;
}

function stat(pid: number): Stat | undefined {
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/stat`, "utf8");
  } catch {
    return undefined; // exited meanwhile
  }
  // After "pid (comm) ": state ppid … utime (14th field) stime (15th).
  const fields = text.slice(text.lastIndexOf(")") + 2).split(" ");
  return {
    pid,
    ppid: Number(fields[1]),
    cpuSeconds: (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS,
  };
}

/** User + system CPU seconds a process has used so far. */
export function processCpuSeconds(pid: number): number {
  return stat(pid)?.cpuSeconds ?? 0;
}

/** The PostgreSQL server listening on `port`: its postmaster's pid (found by its command line). */
export function postmasterPid(port: number): number {
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    let cmdline: string[];
    try {
      cmdline = readFileSync(`/proc/${entry}/cmdline`, "utf8").split("\0");
    } catch {
      continue;
    }
    if (!/(^|\/)postgres$/.test(cmdline[0] ?? "")) continue;
    if (cmdline.join(" ").includes(`-p ${port}`)) return Number(entry);
  }
  throw new Error(`no postmaster found listening on port ${port}`);
}

/**
 * CPU seconds of the postmaster and its live children. A backend that exits between two readings takes
 * its time with it, so read this around phases whose connections stay open (pools are warm).
 */
export function postgresCpuSeconds(postmaster: number): number {
  let total = processCpuSeconds(postmaster);
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    const s = stat(Number(entry));
    if (s?.ppid === postmaster) total += s.cpuSeconds;
  }
  return total;
}

/** User + system CPU seconds of the calling process (all its threads) — e.g. a load generator during its loop. */
export function ownCpuSeconds(): number {
  const used = process.cpuUsage();
  return (used.user + used.system) / 1e6;
}

/** CPU seconds by process, read at one moment (see cpuMsPerRequest). */
export type CpuReading = Record<string, number>;

/**
 * Milliseconds of CPU per request between two readings, by process, plus their total: where the cores went
 * for one request, whatever else ran on the machine.
 */
export function cpuMsPerRequest(
  before: CpuReading,
  after: CpuReading,
  requests: number,
): Record<string, number> & { totalMs: number } {
  const out: Record<string, number> = {};
  let total = 0;
  for (const [name, seconds] of Object.entries(after)) {
    const ms = ((seconds - (before[name] ?? 0)) * 1000) / requests;
    out[name] = +ms.toFixed(3);
    total += ms;
  }
  return { ...out, totalMs: +total.toFixed(3) };
}
