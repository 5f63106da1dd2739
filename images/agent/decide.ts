/**
 * The session agent's decision core: one pure function from (state, event, now) to the next state and the
 * actions the I/O shell must perform. No clock, timer, network or randomness in here: the shell supplies
 * `now` and, for retries, a random number in the event, so every path is a table test.
 *
 *   starting ──validate ok──▶ online ──heartbeat fails 1+3 times──▶ offline ──token expires──▶ stopped(6)
 *      │                        ▲  │                                  │
 *      │ rejected (3/4)         │  └─ server says expired ─▶ stopped(7)│
 *      ▼                        └──────── heartbeat ok ───────────────┘
 *   stopped
 */
import { EXIT, type ExitCode } from "./exit-codes.js";

export type AgentPhase = "starting" | "online" | "offline" | "stopping" | "stopped";

/** What validate returned; the session token is a secret and never leaves process memory. */
export interface AgentSession {
  sessionId: string;
  sessionToken: string;
  licenseTier: string;
  organization: string;
}

/** An offline token the shell has already verified against the JWKS (so expiresAt is trustworthy). */
export interface VerifiedToken {
  token: string;
  expiresAtMs: number;
}

export interface AgentState {
  phase: AgentPhase;
  session?: AgentSession;
  offlineToken?: VerifiedToken;
  lastHeartbeatAtMs?: number;
  /** Consecutive failed attempts of the current validate/heartbeat round. */
  failedAttempts: number;
  payloadStarted: boolean;
  /** The server's heartbeat interval from validate; overrides the configured one. */
  heartbeatIntervalMs?: number;
  exitCode?: ExitCode | number;
  message: string;
}

export interface AgentTiming {
  heartbeatIntervalMs: number;
  /** First retry delay; doubles per attempt, with jitter. */
  retryBaseMs: number;
  /** Retries after the first failed attempt before going offline (the seeds: 3). */
  maxRetries: number;
}

export type RejectionReason = "license_rejected" | "seat_limit_reached";

export type AgentEvent =
  | { type: "start" }
  | { type: "validated"; session: AgentSession; offlineToken?: VerifiedToken; heartbeatIntervalMs?: number }
  | { type: "validateRejected"; reason: RejectionReason; message: string }
  | { type: "validateFailed"; message: string; random: number; retryAfterMs?: number }
  | { type: "heartbeatOk"; status: "ok" | "warning"; message: string; offlineToken?: VerifiedToken }
  | { type: "sessionEnded"; message: string }
  /** The server refused the session token as too old (401 session_token_expired): validate again. */
  | { type: "sessionTokenExpired"; message: string }
  | { type: "heartbeatFailed"; message: string; random: number; retryAfterMs?: number }
  /** A scheduled deadline fired (the offline token's expiry). */
  | { type: "deadline" }
  | { type: "signal"; signal: "SIGTERM" | "SIGINT" }
  | { type: "payloadExited"; code: number };

export type AgentAction =
  | { type: "validate"; atMs: number }
  | { type: "heartbeat"; atMs: number }
  | { type: "deadline"; atMs: number }
  | { type: "startPayload" }
  | { type: "stopPayload"; signal: "SIGTERM" | "SIGINT" }
  | { type: "release" }
  | { type: "exit"; code: number }
  | { type: "log"; level: "info" | "warn" | "error"; message: string };

export interface AgentStep {
  state: AgentState;
  actions: AgentAction[];
}

export function initialAgentState(cachedOfflineToken?: VerifiedToken): AgentState {
  return {
    phase: "starting",
    failedAttempts: 0,
    payloadStarted: false,
    message: "starting",
    offlineToken: cachedOfflineToken,
  };
}

/**
 * Exponential backoff with "equal jitter": half of base·2^(attempt−1) is fixed, half random, so retries of
 * many containers that lost the server together spread out instead of arriving in waves. A server's
 * Retry-After is a floor.
 */
export function retryDelayMs(attempt: number, random: number, timing: AgentTiming, retryAfterMs = 0): number {
  const exponential = Math.min(timing.retryBaseMs * 2 ** (attempt - 1), timing.heartbeatIntervalMs);
  const jittered = exponential / 2 + (exponential / 2) * Math.min(Math.max(random, 0), 1);
  return Math.max(Math.round(jittered), retryAfterMs);
}

function intervalOf(state: AgentState, timing: AgentTiming): number {
  return state.heartbeatIntervalMs ?? timing.heartbeatIntervalMs;
}

function offlineTokenValid(
  state: AgentState,
  now: number,
): state is AgentState & { offlineToken: VerifiedToken } {
  return state.offlineToken !== undefined && now < state.offlineToken.expiresAtMs;
}

function stop(state: AgentState, code: number, message: string, extra: AgentAction[] = []): AgentStep {
  const actions: AgentAction[] = [
    { type: "log", level: code === EXIT.ok ? "info" : "error", message },
    ...extra,
  ];
  if (state.payloadStarted) actions.push({ type: "stopPayload", signal: "SIGTERM" });
  actions.push({ type: "exit", code });
  return { state: { ...state, phase: "stopped", exitCode: code, message }, actions };
}

/** Enter offline mode if the cached offline token is still valid; otherwise stop with `codeIfNoToken`. */
function goOfflineOrStop(
  state: AgentState,
  now: number,
  timing: AgentTiming,
  codeIfNoToken: number,
  why: string,
): AgentStep {
  if (!offlineTokenValid(state, now)) {
    const reason = state.offlineToken ? "the offline token has expired" : "there is no offline token";
    return stop(state, codeIfNoToken, `${why}; ${reason}: stopping`);
  }
  const until = new Date(state.offlineToken.expiresAtMs).toISOString();
  const message = `${why}; running on the offline token until ${until}`;
  const actions: AgentAction[] = [
    { type: "log", level: "warn", message },
    // Keep trying: the reconnect cadence is the normal heartbeat cadence.
    { type: state.session ? "heartbeat" : "validate", atMs: now + intervalOf(state, timing) },
    { type: "deadline", atMs: state.offlineToken.expiresAtMs },
  ];
  if (!state.payloadStarted) actions.push({ type: "startPayload" });
  return { state: { ...state, phase: "offline", failedAttempts: 0, payloadStarted: true, message }, actions };
}

/** The agent's next step. `now` is epoch milliseconds from the injected clock. */
export function decideAgentStep(
  state: AgentState,
  event: AgentEvent,
  now: number,
  timing: AgentTiming,
): AgentStep {
  if (state.phase === "stopped") return { state, actions: [] };
  if (state.phase === "stopping" && event.type !== "payloadExited") return { state, actions: [] };

  switch (event.type) {
    case "start":
      return {
        state: { ...state, message: "validating license" },
        actions: [{ type: "validate", atMs: now }],
      };

    case "validated": {
      const message = `licensed: session ${event.session.sessionId} (${event.session.licenseTier}, ${event.session.organization})`;
      const interval = event.heartbeatIntervalMs ?? intervalOf(state, timing);
      const actions: AgentAction[] = [
        { type: "log", level: "info", message },
        { type: "heartbeat", atMs: now + interval },
      ];
      if (!state.payloadStarted) actions.push({ type: "startPayload" });
      const next: AgentState = {
        ...state,
        phase: "online",
        session: event.session,
        offlineToken: event.offlineToken ?? state.offlineToken,
        lastHeartbeatAtMs: now,
        failedAttempts: 0,
        payloadStarted: true,
        heartbeatIntervalMs: interval,
        message,
      };
      return { state: next, actions };
    }

    case "validateRejected": {
      const code = event.reason === "seat_limit_reached" ? EXIT.seatLimitReached : EXIT.licenseRejected;
      return stop(state, code, `license not accepted: ${event.message}`);
    }

    case "validateFailed":
    case "heartbeatFailed": {
      const attempt = state.failedAttempts + 1;
      const what = event.type === "validateFailed" ? "validate" : "heartbeat";
      if (attempt <= timing.maxRetries) {
        const delay = retryDelayMs(attempt, event.random, timing, event.retryAfterMs);
        const message = `${what} failed (${event.message}); retry ${attempt}/${timing.maxRetries} in ${delay} ms`;
        return {
          state: { ...state, failedAttempts: attempt, message },
          actions: [
            { type: "log", level: "warn", message },
            { type: what, atMs: now + delay },
          ],
        };
      }
      const why = `license server unreachable (${event.message})`;
      return goOfflineOrStop(
        state,
        now,
        timing,
        state.phase === "starting" ? EXIT.serverUnreachable : EXIT.offlineGraceExpired,
        why,
      );
    }

    case "heartbeatOk": {
      const message = event.status === "warning" ? `licensed (warning: ${event.message})` : "licensed";
      const actions: AgentAction[] = [{ type: "heartbeat", atMs: now + intervalOf(state, timing) }];
      if (state.phase === "offline")
        actions.unshift({ type: "log", level: "info", message: "license server reachable again" });
      if (event.status === "warning") actions.unshift({ type: "log", level: "warn", message: event.message });
      const next: AgentState = {
        ...state,
        phase: "online",
        offlineToken: event.offlineToken ?? state.offlineToken,
        lastHeartbeatAtMs: now,
        failedAttempts: 0,
        message,
      };
      return { state: next, actions };
    }

    case "sessionEnded":
      return stop(state, EXIT.sessionEnded, `session ended by the license server: ${event.message}`);

    case "sessionTokenExpired": {
      // Not an end: the same container validating again replaces its session without a second seat, and
      // the payload keeps running. The old token is worthless, so it is forgotten.
      const message = `session token expired (${event.message}); validating again`;
      const { session: _expired, ...rest } = state;
      return {
        state: { ...rest, failedAttempts: 0, message },
        actions: [
          { type: "log", level: "info", message },
          { type: "validate", atMs: now },
        ],
      };
    }

    case "deadline":
      if (state.phase === "offline" && !offlineTokenValid(state, now)) {
        return stop(
          state,
          EXIT.offlineGraceExpired,
          "offline grace expired before the license server came back: stopping",
        );
      }
      return { state, actions: [] };

    case "signal": {
      const message = `${event.signal} received: releasing the seat`;
      const actions: AgentAction[] = [{ type: "log", level: "info", message }];
      if (state.session) actions.push({ type: "release" });
      if (state.payloadStarted) {
        // Wait for the payload to finish (payloadExited) so its own shutdown runs before we exit.
        actions.push({ type: "stopPayload", signal: event.signal });
        return { state: { ...state, phase: "stopping", message }, actions };
      }
      actions.push({ type: "exit", code: EXIT.ok });
      return { state: { ...state, phase: "stopped", exitCode: EXIT.ok, message }, actions };
    }

    case "payloadExited": {
      const message = `payload exited with code ${event.code}`;
      const actions: AgentAction[] = [{ type: "log", level: "info", message }];
      // On a signal the release already went out; a payload that exits on its own still frees its seat.
      if (state.phase !== "stopping" && state.session) actions.push({ type: "release" });
      actions.push({ type: "exit", code: event.code });
      return { state: { ...state, phase: "stopped", exitCode: event.code, message }, actions };
    }
  }
}
