/**
 * Test and benchmark support: runs `npm start` as a user would (a separate process tree, free ports, its
 * own data directory), waits for the "ready" line, and reads where everything listens from the sandbox's
 * `sandbox.json`. stop() sends SIGTERM to the sandbox process (the pid in `sandbox.json`), which stops its
 * components and exits, and npm with it; the whole `npm start` process group is killed only if that hangs.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { pollUntil } from "../health.js";
import { COMPONENTS, PORT_SETTINGS } from "../options.js";
import { dataPaths } from "../plan.js";
import { SECRETS_FILE } from "../secrets.js";
import { type RunningSandbox, readRunningState } from "../state.js";

export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "../..");

export interface LaunchedSandbox extends RunningSandbox {
  adminToken: string;
  /** Seconds from spawning `npm start` to its "ready" line. */
  readySeconds: number;
  /** Everything `npm start` printed so far. */
  output(): string;
  /** Resolves with the exit code once `npm start` has exited. */
  exited: Promise<number | null>;
  stop(): Promise<number | null>;
}

export interface LaunchOptions {
  dataDir: string;
  /** Extra environment for `npm start` (the children inherit it), e.g. shorter intervals. */
  env?: Record<string, string>;
  extraArgs?: string[];
  timeoutMs?: number;
}

function killGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  if (child.pid === undefined) return;
  try {
    process.kill(-child.pid, signal);
  } catch {
    // Already gone.
  }
}

/** Starts `npm start -- --data-dir <dir>` with every port 0 and waits until it reports ready. */
export async function launchSandbox(options: LaunchOptions): Promise<LaunchedSandbox> {
  const timeoutMs = options.timeoutMs ?? 240_000;
  const portArgs = COMPONENTS.flatMap((c) => [PORT_SETTINGS[c].flag, "0"]);
  const started = Date.now();
  const child = spawn(
    "npm",
    [
      "start",
      "--silent",
      "--",
      "--data-dir",
      options.dataDir,
      "--ready-timeout",
      String(Math.ceil(timeoutMs / 1000)),
      ...portArgs,
      ...(options.extraArgs ?? []),
    ],
    {
      cwd: REPO_ROOT,
      env: { ...process.env, ...options.env },
      detached: true,
      stdio: ["ignore", "pipe", "pipe"],
    },
  );
  let output = "";
  child.stdout!.on("data", (chunk: Buffer) => {
    output += chunk.toString();
  });
  child.stderr!.on("data", (chunk: Buffer) => {
    output += chunk.toString();
  });
  let exitCode: number | null | undefined;
  const exited = new Promise<number | null>((resolveExit) => {
    child.once("exit", (code) => {
      exitCode = code;
      resolveExit(code);
    });
  });
  let sandboxPid: number | undefined;
  const stop = async (): Promise<number | null> => {
    if (sandboxPid !== undefined) {
      try {
        process.kill(sandboxPid, "SIGTERM");
      } catch {
        killGroup(child, "SIGTERM");
      }
    } else {
      killGroup(child, "SIGTERM");
    }
    const timer = setTimeout(() => killGroup(child, "SIGKILL"), 45_000);
    const code = await exited;
    clearTimeout(timer);
    return code;
  };
  try {
    await pollUntil("npm start", async () => /ready in [\d.]+ s/.test(output), {
      timeoutMs: timeoutMs + 10_000,
      intervalMs: 200,
      abort: () => (exitCode !== undefined ? `exited with code ${exitCode}:\n${output}` : undefined),
    });
  } catch (error) {
    await stop();
    throw error;
  }
  const readySeconds = (Date.now() - started) / 1000;
  const state = readRunningState(dataPaths(options.dataDir).state);
  if (!state) {
    await stop();
    throw new Error(`npm start reported ready but wrote no running state:\n${output}`);
  }
  sandboxPid = state.pid;
  const { adminToken } = JSON.parse(readFileSync(join(options.dataDir, SECRETS_FILE), "utf8")) as {
    adminToken: string;
  };
  return { ...state, adminToken, readySeconds, output: () => output, exited, stop };
}
