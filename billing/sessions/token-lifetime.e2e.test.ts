/**
 * Issue 13 L4 end to end: the session agent (bundled as the images ship it, started through the Docker
 * image's entrypoint) against the real sessions API whose tokens last 2 s (24 h in production, ADR 0161).
 * When a heartbeat is refused with 401 `session_token_expired` the agent validates again and carries on:
 * the payload keeps running, the container holds one session at a time, and a SIGTERM still releases.
 * Real time with shortened intervals, polling with generous timeouts.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { bundleAgent } from "../../images/agent/bundle.js";
import { EXIT } from "../../images/agent/exit-codes.js";
import { systemClock } from "../../lib/clock.js";
import { waitFor } from "../../test-support/wait.js";
import { type SessionsHarness, startSessionsHarness } from "./test-harness.js";

const BUNDLE = join(".tmp", "agent-lifetime-e2e", "coditect-agent.mjs");
const ENTRYPOINT = join("images", "docker", "entrypoint.sh");
const PAYLOAD = ["sh", "-c", 'trap "exit 0" TERM; while :; do sleep 0.1; done'];

let h: SessionsHarness;
let agent: ChildProcess | undefined;
let stateDir: string;

beforeAll(async () => {
  bundleAgent(BUNDLE);
  h = await startSessionsHarness(
    systemClock,
    {
      timing: { heartbeatIntervalMs: 500, sessionTokenLifetimeMs: 2_000 },
      rateLimits: { heartbeat: { limit: 1_000, windowMs: 60_000 } },
    },
    "sessions_lifetime_agent",
  );
  stateDir = mkdtempSync(join(tmpdir(), "agent-lifetime-"));
});
afterAll(async () => {
  if (agent && agent.exitCode === null) {
    agent.kill("SIGTERM");
    await new Promise((resolve) => agent!.once("exit", resolve));
  }
  await h?.close();
  rmSync(stateDir, { recursive: true, force: true });
});

const sessionsOf = async (containerId: string) =>
  (
    await h.pool.query<{ id: string; state: string; reason: string | null }>(
      "SELECT id, state, reason FROM container_sessions WHERE container_id = $1 ORDER BY created_at",
      [containerId],
    )
  ).rows;

describe("session agent and the session token's lifetime", () => {
  it("validates again when its token expires: same payload, one session at a time, release on SIGTERM", async () => {
    const lic = await h.createLicense("starter"); // one seat: renewal must not need a second
    let stderr = "";
    const child = spawn("sh", [ENTRYPOINT, ...PAYLOAD], {
      env: {
        PATH: process.env.PATH,
        CODITECT_NODE: process.execPath,
        CODITECT_AGENT_BUNDLE: BUNDLE,
        CODITECT_LICENSE_SERVER: h.url,
        CODITECT_LICENSE_KEY: lic.key,
        CODITECT_CONTAINER_ID: "renewing",
        CODITECT_STATE_DIR: stateDir,
        CODITECT_RETRY_BASE_MS: "100",
        CODITECT_REQUEST_TIMEOUT_MS: "2000",
      },
      stdio: ["ignore", "ignore", "pipe"],
    });
    agent = child;
    child.stderr!.on("data", (d) => {
      stderr += d;
    });
    const exited = new Promise<number>((resolve) => child.on("exit", (code) => resolve(code ?? -1)));

    // Two renewals: three sessions, the first two superseded by the same container.
    await waitFor("two token renewals", async () => (await sessionsOf("renewing")).length >= 3, {
      timeoutMs: 20_000,
    });
    expect(child.exitCode).toBeNull();
    expect(stderr).toContain("validating again");
    const sessions = await sessionsOf("renewing");
    expect(sessions.filter((s) => s.state === "active").length).toBeLessThanOrEqual(1);
    expect(sessions.slice(0, 2).map((s) => [s.state, s.reason])).toEqual([
      ["released", "Superseded"],
      ["released", "Superseded"],
    ]);

    child.kill("SIGTERM");
    expect(await exited).toBe(EXIT.ok);
    const last = (await sessionsOf("renewing")).at(-1)!;
    expect([last.state, last.reason]).toEqual(["released", "Released"]);
  }, 40_000);
});
