import { mkdtempSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { initialAgentState } from "./decide.js";
import {
  type AgentStateFile,
  assessHealth,
  readCachedOfflineToken,
  readStateFile,
  toStateFile,
  writeStateFile,
} from "./state-file.js";

const now = Date.parse("2026-03-01T12:00:00Z");
const file = (phase: AgentStateFile["phase"], extra: Partial<AgentStateFile> = {}): AgentStateFile => ({
  phase,
  message: "m",
  pid: 42,
  updatedAt: new Date(now).toISOString(),
  ...extra,
});

describe("assessHealth", () => {
  const rows: [string, AgentStateFile | undefined, boolean, boolean][] = [
    ["no state file", undefined, false, false],
    ["online", file("online"), true, true],
    ["online but the agent died", file("online"), false, false],
    [
      "offline with a valid token",
      file("offline", { offlineTokenExpiresAt: new Date(now + 1000).toISOString() }),
      true,
      true,
    ],
    [
      "offline with an expired token",
      file("offline", { offlineTokenExpiresAt: new Date(now).toISOString() }),
      true,
      false,
    ],
    ["still validating", file("starting"), true, false],
    ["stopped", file("stopped", { exitCode: 4 }), false, false],
  ];
  it.each(rows)("%s → healthy=%s", (_label, state, alive, healthy) => {
    expect(assessHealth(state, now, alive).healthy).toBe(healthy);
  });
});

describe("state file", () => {
  const dir = mkdtempSync(join(tmpdir(), "agent-state-"));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("holds no secret, and keeps the offline token readable only by its owner", () => {
    const state = {
      ...initialAgentState({ token: "header.payload.sig", expiresAtMs: now + 1 }),
      phase: "online" as const,
      session: {
        sessionId: "s-1",
        sessionToken: "TOP-SECRET-TOKEN",
        licenseTier: "pro",
        organization: "acme",
      },
    };
    writeStateFile(dir, toStateFile(state, now, 7), state.offlineToken?.token);
    const text = readFileSync(join(dir, "state.json"), "utf8");
    expect(text).not.toContain("TOP-SECRET-TOKEN");
    expect(readStateFile(dir)).toMatchObject({ phase: "online", sessionId: "s-1", pid: 7 });
    expect(readCachedOfflineToken(dir)).toBe("header.payload.sig");
    expect(statSync(join(dir, "offline-token.jwt")).mode & 0o077).toBe(0);
  });
});
