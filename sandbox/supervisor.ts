/**
 * Starts the sandbox's children in dependency order, waits for each one's health check, and hands back a
 * handle to stop them. A child that exits before it is healthy fails the start with its log tail.
 */
import { mkdirSync } from "node:fs";
import { describeExit, logTail, type RunningChild, spawnChild, stopChildren } from "./children.js";
import { pollUntil, probeHealth } from "./health.js";
import type { Component } from "./options.js";
import { type ChildSpec, dataPaths, STRIPPED_VARIABLES } from "./plan.js";

export interface SupervisorOptions {
  root: string;
  dataDir: string;
  specs: ChildSpec[];
  env: Record<string, string | undefined>;
  readyTimeoutMs: number;
  /** True once a stop was requested: components not yet spawned are not started. */
  cancelled?: () => boolean;
  /**
   * Runs after a component's dependencies are healthy and before it is spawned (e.g. giving billing and
   * the operator their ServiceAccount kubeconfigs once the API server is up); a failure fails the start.
   */
  beforeStart?: (spec: ChildSpec) => Promise<void>;
  /** Called when a component has passed its health check. */
  onReady?: (name: Component, seconds: number) => void;
}

export interface StartedSandbox {
  children: RunningChild[];
  /** Resolves with the first child that exits after the start (the sandbox is then broken). */
  firstExit: Promise<RunningChild>;
  stop(): Promise<void>;
}

export class SandboxStartError extends Error {
  override name = "SandboxStartError";
}

/**
 * Starts every child; `children` (owned by the caller) receives each one as it is spawned, so a stop
 * requested in the middle of the start (Ctrl-C while billing is still migrating) reaches them too.
 */
export async function startChildren(
  options: SupervisorOptions,
  children: RunningChild[] = [],
): Promise<StartedSandbox> {
  const { logs } = dataPaths(options.dataDir);
  mkdirSync(logs, { recursive: true });
  const baseEnv = { ...options.env };
  for (const name of STRIPPED_VARIABLES) delete baseEnv[name];
  const ready = new Map<Component, Promise<void>>();
  const started = Date.now();
  let failed = false;

  const start = async (spec: ChildSpec): Promise<void> => {
    await Promise.all(spec.after.map((dependency) => ready.get(dependency)));
    if (failed || options.cancelled?.()) return;
    if (options.beforeStart) {
      try {
        await options.beforeStart(spec);
      } catch (error) {
        throw new SandboxStartError(`${spec.name}: preparing to start failed: ${(error as Error).message}`);
      }
    }
    if (failed || options.cancelled?.()) return;
    const child = spawnChild(spec, { root: options.root, logDir: logs, baseEnv });
    children.push(child);
    try {
      await pollUntil(`${spec.name} (${spec.script})`, () => probeHealth(spec.health), {
        timeoutMs: options.readyTimeoutMs,
        intervalMs: 150,
        abort: () => (child.exit ? describeExit(child) : undefined),
      });
    } catch (error) {
      throw new SandboxStartError(
        `${(error as Error).message}\n--- last lines of ${child.logFile} ---\n${logTail(child)}`,
      );
    }
    options.onReady?.(spec.name, (Date.now() - started) / 1000);
  };

  for (const spec of options.specs) {
    const promise = start(spec);
    // Dependants wait on it; the failure itself is reported once, below.
    promise.catch(() => {
      failed = true;
    });
    ready.set(spec.name, promise);
  }
  try {
    await Promise.all(ready.values());
  } catch (error) {
    failed = true;
    await stopChildren(children);
    throw error;
  }
  const firstExit = Promise.race(children.map((c) => c.exited.then(() => c)));
  return { children, firstExit, stop: () => stopChildren(children) };
}
