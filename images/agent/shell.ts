/**
 * The agent's I/O shell: feeds events into decideAgentStep and performs the actions it returns (HTTP
 * calls, timers, the payload process, the state file, exit). Everything time-related goes through the
 * injected clock and timers; the jitter comes from the injected random source.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { freemem, loadavg, totalmem, uptime } from "node:os";
import type { JSONWebKeySet } from "jose";
import { type Clock, systemClock } from "../../lib/clock.js";
import {
  OfflineTokenError,
  readCachedJwks,
  refreshJwks,
  verifyOfflineToken,
} from "../../lib/offline-tokens/index.js";
import { heartbeatSession, releaseSession, validateSession } from "./client.js";
import type { AgentConfig } from "./config.js";
import {
  type AgentAction,
  type AgentEvent,
  type AgentState,
  type AgentTiming,
  decideAgentStep,
  initialAgentState,
  type VerifiedToken,
} from "./decide.js";
import { EXIT } from "./exit-codes.js";
import { createAgentLog } from "./log.js";
import { payloadEnvironment, payloadUserEnvironment } from "./payload-env.js";
import {
  jwksCachePath,
  readCachedOfflineToken,
  secureStateDir,
  toStateFile,
  writeStateFile,
} from "./state-file.js";

export interface Timers {
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

export interface AgentDeps {
  clock?: Clock;
  timers?: Timers;
  random?: () => number;
  log?: (level: "info" | "warn" | "error", message: string) => void;
  /** Where SIGTERM/SIGINT come from (the process by default). */
  signals?: NodeJS.EventEmitter;
  /** The payload command to supervise (`agent run -- cmd args…`); none = agent only. */
  payload?: string[];
}

const defaultTimers: Timers = {
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (handle) => clearTimeout(handle as NodeJS.Timeout),
};

/** Runs the agent until it decides to exit; resolves with the exit code. */
export async function runAgent(config: AgentConfig, deps: AgentDeps = {}): Promise<number> {
  const clock = deps.clock ?? systemClock;
  const timers = deps.timers ?? defaultTimers;
  const random = deps.random ?? Math.random;
  const log = deps.log ?? createAgentLog();
  const signals = deps.signals ?? process;
  const timing: AgentTiming = {
    heartbeatIntervalMs: config.heartbeatIntervalMs,
    retryBaseMs: config.retryBaseMs,
    maxRetries: 3,
  };
  const jwksUrl = `${config.server}/.well-known/jwks.json`;
  // A production build verifies only with the keys baked into it: never the network, never a file on disk
  // (either could hold keys of a server its owner runs). Development fetches and caches the server's JWKS.
  const fixedJwks = config.jwks;
  let jwks: JSONWebKeySet | undefined = fixedJwks ?? readCachedJwksSafely(config.stateDir, log);

  async function verify(token: string | undefined): Promise<VerifiedToken | undefined> {
    if (!token) return undefined;
    for (const refresh of fixedJwks ? [false] : [false, true]) {
      try {
        if (refresh || !jwks) jwks = (await refreshJwks(jwksUrl, jwksCachePath(config.stateDir))).jwks;
        const verified = await verifyOfflineToken(token, jwks, clock, config.containerId);
        return { token, expiresAtMs: verified.expiresAt.getTime() };
      } catch (error) {
        // An unknown kid means the server rotated keys since we cached the JWKS: refetch once.
        const retry =
          !fixedJwks && !refresh && error instanceof OfflineTokenError && error.reason === "unknown_key";
        if (!retry) {
          log("warn", `offline token not usable: ${(error as Error).message}`);
          return undefined;
        }
      }
    }
    return undefined;
  }

  if (config.buildMode === "development") {
    // Says so in every log, so a development bundle shipped by mistake is noticed (ADR 0155).
    log("info", `development agent: license server ${config.server} (from the environment or default)`);
  }
  if (config.payloadUser) secureStateDir(config.stateDir, { uid: process.getuid!(), gid: process.getgid!() });
  let state: AgentState = initialAgentState(
    jwks ? await verify(readCachedOfflineToken(config.stateDir)) : undefined,
  );
  const requestTimer: { handle?: unknown } = {};
  const deadlineTimer: { handle?: unknown } = {};
  let payload: ChildProcess | undefined;
  let chain: Promise<void> = Promise.resolve();
  let finish!: (code: number) => void;
  const finished = new Promise<number>((resolve) => {
    finish = resolve;
  });

  const onSignal = (signal: "SIGTERM" | "SIGINT") => dispatch({ type: "signal", signal });
  const onTerm = () => onSignal("SIGTERM");
  const onInt = () => onSignal("SIGINT");
  signals.on("SIGTERM", onTerm);
  signals.on("SIGINT", onInt);

  function dispatch(event: AgentEvent): void {
    chain = chain
      .then(() => step(event))
      .catch((error) => {
        log("error", `agent internal error: ${(error as Error).stack ?? error}`);
        stopEverything(EXIT.internal);
      });
  }

  async function step(event: AgentEvent): Promise<void> {
    const result = decideAgentStep(state, event, clock.now().getTime(), timing);
    state = result.state;
    writeStateFile(
      config.stateDir,
      toStateFile(state, clock.now().getTime(), process.pid),
      state.offlineToken?.token,
    );
    for (const action of result.actions) await perform(action);
  }

  function schedule(slot: { handle?: unknown }, atMs: number, fn: () => void): void {
    if (slot.handle !== undefined) timers.clearTimeout(slot.handle);
    slot.handle = timers.setTimeout(fn, Math.max(0, atMs - clock.now().getTime()));
  }

  async function doValidate(): Promise<void> {
    const outcome = await validateSession(config);
    if (outcome.kind === "admitted") {
      const offlineToken = await verify(outcome.offlineToken);
      dispatch({
        type: "validated",
        session: outcome.session,
        offlineToken,
        heartbeatIntervalMs: outcome.heartbeatIntervalMs,
      });
    } else if (outcome.kind === "rejected") {
      dispatch({ type: "validateRejected", reason: outcome.reason, message: outcome.message });
    } else {
      dispatch({
        type: "validateFailed",
        message: outcome.message,
        retryAfterMs: outcome.retryAfterMs,
        random: random(),
      });
    }
  }

  async function doHeartbeat(): Promise<void> {
    const token = state.session?.sessionToken;
    if (!token) return;
    const usage = {
      cpuPercent: Math.round(loadavg()[0]! * 100),
      memoryBytes: totalmem() - freemem(),
      uptimeSeconds: Math.floor(uptime()),
    };
    const outcome = await heartbeatSession(config, token, usage);
    if (outcome.kind === "ok") {
      dispatch({
        type: "heartbeatOk",
        status: outcome.status,
        message: outcome.message,
        offlineToken: await verify(outcome.offlineToken),
      });
    } else if (outcome.kind === "ended") {
      dispatch({ type: "sessionEnded", message: outcome.message });
    } else if (outcome.kind === "tokenExpired") {
      dispatch({ type: "sessionTokenExpired", message: outcome.message });
    } else {
      dispatch({
        type: "heartbeatFailed",
        message: outcome.message,
        retryAfterMs: outcome.retryAfterMs,
        random: random(),
      });
    }
  }

  function stopEverything(code: number): void {
    for (const slot of [requestTimer, deadlineTimer])
      if (slot.handle !== undefined) timers.clearTimeout(slot.handle);
    signals.off("SIGTERM", onTerm);
    signals.off("SIGINT", onInt);
    finish(code);
  }

  async function perform(action: AgentAction): Promise<void> {
    switch (action.type) {
      case "log":
        log(action.level, action.message);
        return;
      case "validate":
        schedule(
          requestTimer,
          action.atMs,
          () => void doValidate().catch((e) => dispatch(failed(e, "validateFailed"))),
        );
        return;
      case "heartbeat":
        schedule(
          requestTimer,
          action.atMs,
          () => void doHeartbeat().catch((e) => dispatch(failed(e, "heartbeatFailed"))),
        );
        return;
      case "deadline":
        schedule(deadlineTimer, action.atMs, () => dispatch({ type: "deadline" }));
        return;
      case "startPayload":
        startPayload();
        return;
      case "stopPayload":
        if (payload && payload.exitCode === null) payload.kill(action.signal);
        else if (state.phase === "stopping") dispatch({ type: "payloadExited", code: EXIT.ok });
        return;
      case "release":
        if (state.session) log("info", await releaseSession(config, state.session.sessionToken));
        return;
      case "exit":
        stopEverything(action.code);
        return;
    }
  }

  function failed(error: unknown, type: "validateFailed" | "heartbeatFailed"): AgentEvent {
    return { type, message: (error as Error).message, random: random() };
  }

  function startPayload(): void {
    const [command, ...args] = deps.payload ?? [];
    if (!command) return;
    const user = config.payloadUser;
    payload = spawn(command, args, {
      stdio: "inherit",
      env: {
        ...payloadEnvironment(process.env, state.session?.sessionId),
        ...(user ? payloadUserEnvironment(readPasswd(), user.uid) : {}),
      },
      // Another user than the agent: it cannot read the agent's state directory nor /proc/<agent>/environ
      // (libuv also drops the agent's supplementary groups).
      ...(user ? { uid: user.uid, gid: user.gid } : {}),
    });
    payload.on("exit", (code, signal) =>
      dispatch({ type: "payloadExited", code: code ?? (signal ? 128 + signalNumber(signal) : 1) }),
    );
    payload.on("error", (error) => {
      log("error", `cannot start payload "${command}": ${error.message}`);
      dispatch({ type: "payloadExited", code: 127 });
    });
  }

  dispatch({ type: "start" });
  return finished;
}

function readPasswd(): string {
  try {
    return readFileSync("/etc/passwd", "utf8");
  } catch {
    return "";
  }
}

function signalNumber(signal: NodeJS.Signals): number {
  return signal === "SIGTERM" ? 15 : signal === "SIGINT" ? 2 : signal === "SIGKILL" ? 9 : 1;
}

function readCachedJwksSafely(
  dir: string,
  log: (level: "warn", m: string) => void,
): JSONWebKeySet | undefined {
  try {
    return readCachedJwks(jwksCachePath(dir));
  } catch (error) {
    log("warn", `ignoring the cached JWKS: ${(error as Error).message}`);
    return undefined;
  }
}
