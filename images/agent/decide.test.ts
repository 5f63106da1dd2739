import { describe, expect, it } from "vitest";
import {
  type AgentAction,
  type AgentEvent,
  type AgentState,
  type AgentTiming,
  decideAgentStep,
  initialAgentState,
  retryDelayMs,
} from "./decide.js";
import { EXIT } from "./exit-codes.js";

const timing: AgentTiming = { heartbeatIntervalMs: 300_000, retryBaseMs: 2_000, maxRetries: 3 };
const now = Date.parse("2026-03-01T12:00:00Z");
const session = { sessionId: "s-1", sessionToken: "secret", licenseTier: "pro", organization: "acme" };
const token = (expiresInMs: number) => ({ token: "jwt", expiresAtMs: now + expiresInMs });

const online: AgentState = {
  ...initialAgentState(),
  phase: "online",
  session,
  payloadStarted: true,
  offlineToken: token(72 * 3_600_000),
};
const offline: AgentState = { ...online, phase: "offline", offlineToken: token(60_000) };
const starting = initialAgentState();
const startingWithCachedToken = initialAgentState(token(3_600_000));

const types = (actions: AgentAction[]) => actions.map((a) => a.type);
const exitCode = (actions: AgentAction[]) =>
  actions.find((a) => a.type === "exit")?.type === "exit"
    ? (actions.find((a) => a.type === "exit") as { code: number }).code
    : undefined;

interface Row {
  name: string;
  state: AgentState;
  event: AgentEvent;
  phase: AgentState["phase"];
  actions: AgentAction["type"][];
  exit?: number;
}

const rows: Row[] = [
  {
    name: "start → validate now",
    state: starting,
    event: { type: "start" },
    phase: "starting",
    actions: ["validate"],
  },
  {
    name: "validated → online, payload starts, heartbeat scheduled",
    state: starting,
    event: { type: "validated", session, offlineToken: token(1) },
    phase: "online",
    actions: ["log", "heartbeat", "startPayload"],
  },
  {
    name: "invalid license → exit 3",
    state: starting,
    event: { type: "validateRejected", reason: "license_rejected", message: "license_revoked" },
    phase: "stopped",
    actions: ["log", "exit"],
    exit: EXIT.licenseRejected,
  },
  {
    name: "no free seat → exit 4",
    state: starting,
    event: { type: "validateRejected", reason: "seat_limit_reached", message: "5 of 5 in use" },
    phase: "stopped",
    actions: ["log", "exit"],
    exit: EXIT.seatLimitReached,
  },
  {
    name: "first validate failure → retry",
    state: starting,
    event: { type: "validateFailed", message: "ECONNREFUSED", random: 0.5 },
    phase: "starting",
    actions: ["log", "validate"],
  },
  {
    name: "validate fails a 4th time, nothing cached → exit 5",
    state: { ...starting, failedAttempts: 3 },
    event: { type: "validateFailed", message: "ECONNREFUSED", random: 0.5 },
    phase: "stopped",
    actions: ["log", "exit"],
    exit: EXIT.serverUnreachable,
  },
  {
    name: "validate fails a 4th time with a valid cached token → offline, payload starts",
    state: { ...startingWithCachedToken, failedAttempts: 3 },
    event: { type: "validateFailed", message: "ECONNREFUSED", random: 0.5 },
    phase: "offline",
    actions: ["log", "validate", "deadline", "startPayload"],
  },
  {
    name: "heartbeat ok → next heartbeat",
    state: online,
    event: { type: "heartbeatOk", status: "ok", message: "ok" },
    phase: "online",
    actions: ["heartbeat"],
  },
  {
    name: "heartbeat warning → logged, next heartbeat",
    state: online,
    event: { type: "heartbeatOk", status: "warning", message: "license expires in 3 days" },
    phase: "online",
    actions: ["log", "heartbeat"],
  },
  {
    name: "heartbeat failure 1..3 → retry",
    state: { ...online, failedAttempts: 2 },
    event: { type: "heartbeatFailed", message: "timeout", random: 0 },
    phase: "online",
    actions: ["log", "heartbeat"],
  },
  {
    name: "4th heartbeat failure with a valid token → offline with a deadline",
    state: { ...online, failedAttempts: 3 },
    event: { type: "heartbeatFailed", message: "timeout", random: 0 },
    phase: "offline",
    actions: ["log", "heartbeat", "deadline"],
  },
  {
    name: "4th heartbeat failure with an expired token → exit 6, payload stopped",
    state: { ...online, failedAttempts: 3, offlineToken: token(-1) },
    event: { type: "heartbeatFailed", message: "timeout", random: 0 },
    phase: "stopped",
    actions: ["log", "stopPayload", "exit"],
    exit: EXIT.offlineGraceExpired,
  },
  {
    name: "back online after an outage",
    state: offline,
    event: { type: "heartbeatOk", status: "ok", message: "ok", offlineToken: token(72 * 3_600_000) },
    phase: "online",
    actions: ["log", "heartbeat"],
  },
  {
    name: "deadline while the token is still valid → nothing",
    state: offline,
    event: { type: "deadline" },
    phase: "offline",
    actions: [],
  },
  {
    name: "deadline after the token expired → exit 6",
    state: { ...offline, offlineToken: token(0) },
    event: { type: "deadline" },
    phase: "stopped",
    actions: ["log", "stopPayload", "exit"],
    exit: EXIT.offlineGraceExpired,
  },
  {
    name: "deadline while online (stale timer) → nothing",
    state: { ...online, offlineToken: token(0) },
    event: { type: "deadline" },
    phase: "online",
    actions: [],
  },
  {
    name: "server ended the session → exit 7",
    state: online,
    event: { type: "sessionEnded", message: "license revoked" },
    phase: "stopped",
    actions: ["log", "stopPayload", "exit"],
    exit: EXIT.sessionEnded,
  },
  {
    name: "SIGTERM with a payload → release, stop payload, wait for it",
    state: online,
    event: { type: "signal", signal: "SIGTERM" },
    phase: "stopping",
    actions: ["log", "release", "stopPayload"],
  },
  {
    name: "SIGINT before validation finished → exit 0, nothing to release",
    state: starting,
    event: { type: "signal", signal: "SIGINT" },
    phase: "stopped",
    actions: ["log", "exit"],
    exit: EXIT.ok,
  },
  {
    name: "payload exits after a signal → its code, no second release",
    state: { ...online, phase: "stopping" },
    event: { type: "payloadExited", code: 143 },
    phase: "stopped",
    actions: ["log", "exit"],
    exit: 143,
  },
  {
    name: "payload exits on its own → release, its code",
    state: online,
    event: { type: "payloadExited", code: 0 },
    phase: "stopped",
    actions: ["log", "release", "exit"],
    exit: 0,
  },
  {
    name: "stopping ignores a late heartbeat answer",
    state: { ...online, phase: "stopping" },
    event: { type: "heartbeatOk", status: "ok", message: "ok" },
    phase: "stopping",
    actions: [],
  },
  {
    name: "stopped ignores everything",
    state: { ...online, phase: "stopped" },
    event: { type: "signal", signal: "SIGTERM" },
    phase: "stopped",
    actions: [],
  },
];

describe("decideAgentStep", () => {
  it.each(rows)("$name", (row) => {
    const { state, actions } = decideAgentStep(row.state, row.event, now, timing);
    expect(state.phase).toBe(row.phase);
    expect(types(actions)).toEqual(row.actions);
    expect(exitCode(actions)).toBe(row.exit);
  });

  it("schedules the heartbeat one interval out, or at the server-provided interval after validate", () => {
    const a = decideAgentStep(online, { type: "heartbeatOk", status: "ok", message: "ok" }, now, timing);
    expect(a.actions).toContainEqual({ type: "heartbeat", atMs: now + timing.heartbeatIntervalMs });
    const b = decideAgentStep(
      starting,
      { type: "validated", session, heartbeatIntervalMs: 60_000 },
      now,
      timing,
    );
    expect(b.actions).toContainEqual({ type: "heartbeat", atMs: now + 60_000 });
  });

  it("keeps the server's heartbeat interval for every later heartbeat and reconnect attempt", () => {
    const validated = decideAgentStep(
      starting,
      { type: "validated", session, offlineToken: token(3_600_000), heartbeatIntervalMs: 60_000 },
      now,
      timing,
    );
    const next = decideAgentStep(
      validated.state,
      { type: "heartbeatOk", status: "ok", message: "ok" },
      now,
      timing,
    );
    expect(next.actions).toContainEqual({ type: "heartbeat", atMs: now + 60_000 });
    const offlineStep = decideAgentStep(
      { ...next.state, failedAttempts: 3 },
      { type: "heartbeatFailed", message: "x", random: 0 },
      now,
      timing,
    );
    expect(offlineStep.actions).toContainEqual({ type: "heartbeat", atMs: now + 60_000 });
  });

  it("session token expired (billing ADR 0161): validates again at once, the payload keeps running", () => {
    const expired = decideAgentStep(
      online,
      { type: "sessionTokenExpired", message: "session token expired at …" },
      now,
      timing,
    );
    expect(expired.state.phase).toBe("online");
    expect(expired.state.session).toBeUndefined(); // the old token is worthless
    expect(expired.actions).toContainEqual({ type: "validate", atMs: now });
    expect(types(expired.actions)).not.toContain("stopPayload");
    expect(exitCode(expired.actions)).toBeUndefined();
    const renewed = decideAgentStep(
      expired.state,
      { type: "validated", session: { ...session, sessionId: "s-2", sessionToken: "new" } },
      now,
      timing,
    );
    expect(renewed.state.session?.sessionToken).toBe("new");
    expect(types(renewed.actions)).not.toContain("startPayload"); // still the same payload
  });

  it("offline: keeps retrying at the heartbeat cadence and sets the deadline at the token's expiry", () => {
    const { actions } = decideAgentStep(
      { ...online, failedAttempts: 3 },
      { type: "heartbeatFailed", message: "x", random: 0 },
      now,
      timing,
    );
    expect(actions).toContainEqual({ type: "heartbeat", atMs: now + timing.heartbeatIntervalMs });
    expect(actions).toContainEqual({ type: "deadline", atMs: online.offlineToken!.expiresAtMs });
  });

  it("keeps the newest offline token and resets the retry count on success", () => {
    const fresh = token(72 * 3_600_000 + 5);
    const { state } = decideAgentStep(
      { ...offline, failedAttempts: 2 },
      { type: "heartbeatOk", status: "ok", message: "", offlineToken: fresh },
      now,
      timing,
    );
    expect(state.offlineToken).toEqual(fresh);
    expect(state.failedAttempts).toBe(0);
    expect(state.lastHeartbeatAtMs).toBe(now);
    const kept = decideAgentStep(offline, { type: "heartbeatOk", status: "ok", message: "" }, now, timing);
    expect(kept.state.offlineToken).toEqual(offline.offlineToken);
  });
});

describe("retryDelayMs", () => {
  const cases: [number, number, number][] = [
    // attempt, random, expected: base·2^(n−1), half fixed + half jitter
    [1, 0, 1_000],
    [1, 1, 2_000],
    [2, 0.5, 3_000],
    [3, 0, 4_000],
    [3, 1, 8_000],
    [20, 1, 300_000], // capped at the heartbeat interval
  ];
  it.each(cases)("attempt %i with random %f → %i ms", (attempt, random, expected) => {
    expect(retryDelayMs(attempt, random, timing)).toBe(expected);
  });

  it("honours Retry-After as a floor", () => {
    expect(retryDelayMs(1, 0, timing, 30_000)).toBe(30_000);
    expect(retryDelayMs(3, 1, timing, 1_000)).toBe(8_000);
  });

  it("spreads retries: different random draws give different delays within [half, full]", () => {
    const delays = [0, 0.25, 0.5, 0.75, 1].map((r) => retryDelayMs(2, r, timing));
    expect(new Set(delays).size).toBe(5);
    for (const d of delays) expect(d).toBeGreaterThanOrEqual(2_000);
    for (const d of delays) expect(d).toBeLessThanOrEqual(4_000);
  });
});
