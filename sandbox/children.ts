/**
 * Runs the sandbox's child processes: each in its own process group (so a stop reaches everything it
 * spawned), with stdout/stderr written straight to `<data>/logs/<name>.log` (a file, not a pipe through
 * the sandbox, so a child can still log while it shuts down after the sandbox died). Stopping sends
 * SIGTERM to each group, waits for a graceful exit, then SIGKILLs.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { appendFileSync, closeSync, openSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import type { ChildSpec } from "./plan.js";

const GUARD = fileURLToPath(new URL("./exit-with-parent.ts", import.meta.url));
const GRACEFUL_STOP_MS = 12_000;

export interface RunningChild {
  spec: ChildSpec;
  process: ChildProcess;
  logFile: string;
  /** Set once the process has exited: its code or signal. */
  exit: { code: number | null; signal: NodeJS.Signals | null } | undefined;
  exited: Promise<void>;
}

export interface SpawnOptions {
  root: string;
  logDir: string;
  baseEnv: Record<string, string | undefined>;
}

/** Starts one child: `node --import tsx --import exit-with-parent <script> …args`. */
export function spawnChild(spec: ChildSpec, options: SpawnOptions): RunningChild {
  const logFile = join(options.logDir, `${spec.name}.log`);
  appendFileSync(
    logFile,
    `\n--- ${new Date().toISOString()} starting ${spec.script} ${spec.args.join(" ")}\n`,
  );
  const logFd = openSync(logFile, "a");
  // stdin: a pipe the sandbox holds open and never writes; its end tells the child the sandbox is gone.
  const child = spawn(process.execPath, ["--import", "tsx", "--import", GUARD, spec.script, ...spec.args], {
    cwd: options.root,
    env: { ...options.baseEnv, ...spec.env },
    detached: true,
    stdio: ["pipe", logFd, logFd],
  });
  closeSync(logFd);
  const running: RunningChild = {
    spec,
    process: child,
    logFile,
    exit: undefined,
    exited: new Promise((resolve) => {
      child.once("exit", (code, signal) => {
        running.exit = { code, signal };
        resolve();
      });
      child.once("error", (error) => {
        appendFileSync(logFile, `cannot start ${spec.name}: ${error.message}\n`);
        running.exit = { code: null, signal: null };
        resolve();
      });
    }),
  };
  // Writes to a child that is already gone must not crash the sandbox.
  child.stdin?.on("error", () => {});
  return running;
}

function signalGroup(child: RunningChild, signal: NodeJS.Signals): void {
  if (child.exit || child.process.pid === undefined) return;
  try {
    process.kill(-child.process.pid, signal);
  } catch {
    // The group is already gone.
  }
}

/** SIGTERM to every group at once, then SIGKILL to any still running after the grace period. */
export async function stopChildren(children: RunningChild[]): Promise<void> {
  for (const child of children) signalGroup(child, "SIGTERM");
  const all = Promise.all(children.map((c) => c.exited));
  let timer: NodeJS.Timeout | undefined;
  const timedOut = await Promise.race([
    all.then(() => false),
    new Promise<boolean>((resolve) => {
      timer = setTimeout(() => resolve(true), GRACEFUL_STOP_MS);
    }),
  ]);
  clearTimeout(timer);
  if (timedOut) {
    for (const child of children) signalGroup(child, "SIGKILL");
    await all;
  }
  // Whatever a child left behind in its group (a grandchild) goes too.
  for (const child of children) {
    if (child.process.pid === undefined) continue;
    try {
      process.kill(-child.process.pid, "SIGKILL");
    } catch {
      // Nothing left.
    }
  }
}

/** The last lines of a child's log, for error messages. */
export function logTail(child: RunningChild, lines = 15): string {
  try {
    return readFileSync(child.logFile, "utf8").trimEnd().split("\n").slice(-lines).join("\n");
  } catch {
    return "(no log)";
  }
}

export function describeExit(child: RunningChild): string {
  const exit = child.exit;
  if (!exit) return "running";
  return exit.signal ? `killed by ${exit.signal}` : `exited with code ${exit.code}`;
}
