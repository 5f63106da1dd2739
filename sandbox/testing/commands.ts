/**
 * Test support: the CLI commands a user runs against the sandbox (`npm run sandbox:pay`, the session
 * agent, kubectl), as separate processes; plus small HTTP helpers.
 */
import { type ChildProcess, execFile, spawn } from "node:child_process";
import { REPO_ROOT } from "./launch.js";

export interface CommandResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs a command to completion (never throws on a non-zero exit: the caller asserts on it). */
export function runCommand(
  command: string,
  args: string[],
  env: Record<string, string> = {},
  timeoutMs = 120_000,
): Promise<CommandResult> {
  return new Promise((resolve) => {
    execFile(
      command,
      args,
      { cwd: REPO_ROOT, env: { ...process.env, ...env }, timeout: timeoutMs, maxBuffer: 10_000_000 },
      (error, stdout, stderr) => {
        const code = error ? (typeof error.code === "number" ? error.code : null) : 0;
        resolve({ code, stdout, stderr });
      },
    );
  });
}

/** A long-running agent: `npm run agent -- run -- sleep 600` in its own process group. */
export interface AgentProcess {
  child: ChildProcess;
  output(): string;
  exited: Promise<number | null>;
  exitCode(): number | null | undefined;
  kill(): Promise<void>;
}

export function startAgent(env: Record<string, string>): AgentProcess {
  const child = spawn("npm", ["run", "--silent", "agent", "--", "run", "--", "sleep", "600"], {
    cwd: REPO_ROOT,
    env: { ...process.env, ...env },
    detached: true,
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  let code: number | null | undefined;
  child.stdout!.on("data", (c: Buffer) => {
    output += c.toString();
  });
  child.stderr!.on("data", (c: Buffer) => {
    output += c.toString();
  });
  const exited = new Promise<number | null>((resolve) =>
    child.once("exit", (c) => {
      code = c;
      resolve(c);
    }),
  );
  return {
    child,
    output: () => output,
    exited,
    exitCode: () => code,
    async kill() {
      if (code !== undefined || child.pid === undefined) return;
      try {
        process.kill(-child.pid, "SIGTERM");
      } catch {
        return;
      }
      await Promise.race([exited, new Promise((r) => setTimeout(r, 15_000))]);
      try {
        process.kill(-child.pid, "SIGKILL");
      } catch {
        // Gone.
      }
    },
  };
}

export async function httpJson(
  url: string,
  init: { method?: string; body?: unknown; headers?: Record<string, string> } = {},
): Promise<{ status: number; body: Record<string, unknown> }> {
  const response = await fetch(url, {
    method: init.method ?? "GET",
    headers: { ...(init.body !== undefined ? { "content-type": "application/json" } : {}), ...init.headers },
    ...(init.body !== undefined ? { body: JSON.stringify(init.body) } : {}),
  });
  const text = await response.text();
  return { status: response.status, body: text ? (JSON.parse(text) as Record<string, unknown>) : {} };
}
