/**
 * The session agent coming back online after its session EXPIRED (issue 13 §7, ADR 0158): offline past the
 * seat expiry on a still-valid offline token, it must carry on — re-admitted on its old session, or, once its
 * session token is past its lifetime, by validating again — never exit. Either way its online run (and so
 * the grace it earns) starts again. The agent bundled as the images ship it, through the Docker entrypoint,
 * against the real sessions API behind a TCP proxy that simulates the outage. Real time, shortened: 3 s
 * seat expiry, 1 s heartbeats, offline grace capped at 60 s; polling with generous timeouts.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeAll, describe, expect, it } from "vitest";
import { bundleAgent } from "../../images/agent/bundle.js";
import { EXIT } from "../../images/agent/exit-codes.js";
import { systemClock } from "../../lib/clock.js";
import { waitFor } from "../../test-support/wait.js";
import { OutageProxy } from "./outage-proxy.js";
import { type SessionsHarness, startSessionsHarness } from "./test-harness.js";

const BUNDLE = join(".tmp", "agent-return-e2e", "coditect-agent.mjs");
const ENTRYPOINT = join("images", "docker", "entrypoint.sh");
const PAYLOAD = ["sh", "-c", 'trap "exit 0" TERM; while :; do sleep 0.1; done'];
const SEAT_EXPIRY_MS = 3_000;
const GRACE_MS = 60_000;

interface Row {
  id: string;
  state: string;
  reason: string | null;
  created_at: Date;
  last_heartbeat_at: Date;
  online_since: Date;
}

let cleanup: (() => Promise<void>)[] = [];
beforeAll(() => bundleAgent(BUNDLE));
afterEach(async () => {
  for (const step of cleanup.reverse()) await step();
  cleanup = [];
});

/** A harness with the given session-token lifetime, a proxy in front of it, and one agent. */
async function setUp(name: string, sessionTokenLifetimeMs: number) {
  const h: SessionsHarness = await startSessionsHarness(
    systemClock,
    {
      timing: {
        // Whole seconds: validate answers heartbeatIntervalSeconds.
        heartbeatIntervalMs: 1_000,
        sessionExpiryMs: SEAT_EXPIRY_MS,
        sessionTokenLifetimeMs,
        offlineGraceByTierMs: { starter: GRACE_MS, pro: GRACE_MS, enterprise: GRACE_MS },
      },
      rateLimits: {
        heartbeat: { limit: 1_000, windowMs: 60_000 },
        validate: { limit: 1_000, windowMs: 60_000 },
      },
    },
    `sessions_agent_return_${name}`,
  );
  const proxy = new OutageProxy();
  await proxy.start(new URL(h.url));
  const stateDir = mkdtempSync(join(tmpdir(), "agent-return-"));
  const lic = await h.createLicense("starter"); // one seat: coming back must not need a second
  let stderr = "";
  const child: ChildProcess = spawn("sh", [ENTRYPOINT, ...PAYLOAD], {
    env: {
      PATH: process.env.PATH,
      CODITECT_NODE: process.execPath,
      CODITECT_AGENT_BUNDLE: BUNDLE,
      CODITECT_LICENSE_SERVER: proxy.url,
      CODITECT_LICENSE_KEY: lic.key,
      CODITECT_CONTAINER_ID: name,
      CODITECT_STATE_DIR: stateDir,
      CODITECT_RETRY_BASE_MS: "100",
      CODITECT_REQUEST_TIMEOUT_MS: "2000",
    },
    stdio: ["ignore", "ignore", "pipe"],
  });
  child.stderr!.on("data", (d) => {
    stderr += d;
  });
  const exited = new Promise<number>((resolve) => child.on("exit", (code) => resolve(code ?? -1)));
  cleanup.push(async () => {
    if (child.exitCode === null) {
      child.kill("SIGTERM");
      await exited;
    }
    await proxy.stop();
    await h.close();
    rmSync(stateDir, { recursive: true, force: true });
  });
  const phase = () => {
    try {
      return JSON.parse(readFileSync(join(stateDir, "state.json"), "utf8")).phase as string;
    } catch {
      return undefined;
    }
  };
  const rows = async () =>
    (
      await h.pool.query<Row>(
        "SELECT id, state, reason, created_at, last_heartbeat_at, online_since FROM container_sessions WHERE container_id = $1 ORDER BY created_at",
        [name],
      )
    ).rows;
  /** Online for `ms`, then the network is cut until the session has expired (its seat lapsed). */
  const onlineThenExpire = async (ms: number) => {
    await waitFor("online", () => phase() === "online", { timeoutMs: 20_000 });
    const since = Date.now();
    await waitFor("online long enough", () => Date.now() - since >= ms, { timeoutMs: ms + 10_000 });
    proxy.down();
    await waitFor("offline", () => phase() === "offline", { timeoutMs: 20_000 }).catch((e) => {
      throw new Error(`${e.message}\n${stderr}`);
    });
    const last = (await rows()).at(-1)!.last_heartbeat_at.getTime();
    await waitFor("the session expired", () => Date.now() > last + SEAT_EXPIRY_MS + 1_000, {
      timeoutMs: 20_000,
    });
    return last;
  };
  return { h, proxy, child, exited, phase, rows, onlineThenExpire, stderr: () => stderr };
}

describe("session agent back online after its session expired", () => {
  it("is re-admitted on its session and keeps the payload running; its online run starts again", async () => {
    const t = await setUp("returns-readmitted", 24 * 3_600_000);
    const lastBeforeOutage = await t.onlineThenExpire(6_000);
    const [before] = await t.rows();
    expect(t.phase()).toBe("offline");
    const upAt = Date.now();
    t.proxy.up();
    await waitFor("back online", () => t.phase() === "online", { timeoutMs: 60_000 });
    await waitFor(
      "re-admitted",
      async () => (await t.rows())[0]!.last_heartbeat_at.getTime() > lastBeforeOutage,
    );
    expect(t.child.exitCode).toBeNull();
    const after = await t.rows();
    expect(after).toHaveLength(1); // the same session, re-admitted: no validate
    expect(after[0]!.id).toBe(before!.id);
    expect(after[0]!.state).toBe("active");
    expect(after[0]!.online_since.getTime()).toBeGreaterThanOrEqual(upAt - 1_000);
    expect(after[0]!.online_since.getTime()).toBeGreaterThan(before!.online_since.getTime());
    t.child.kill("SIGTERM");
    expect(await t.exited).toBe(EXIT.ok);
  }, 60_000);

  it("validates again when its session token expired meanwhile, and keeps the payload running", async () => {
    const t = await setUp("returns-revalidated", 4_000);
    await t.onlineThenExpire(9_000); // renews its token online (the run continues across it)
    const renewed = await t.rows();
    expect(renewed.length).toBeGreaterThanOrEqual(2);
    expect(renewed.at(-1)!.online_since).toEqual(renewed[0]!.online_since);
    // Past the token's lifetime before coming back: the heartbeat is refused with session_token_expired.
    const issued = renewed.at(-1)!.created_at.getTime();
    await waitFor("the session token past its lifetime", () => Date.now() - issued >= 4_500);
    const upAt = Date.now();
    t.proxy.up();
    await waitFor("a new session", async () => (await t.rows()).length > renewed.length, {
      timeoutMs: 20_000,
    });
    await waitFor("back online", () => t.phase() === "online", { timeoutMs: 60_000 });
    expect(t.child.exitCode).toBeNull();
    expect(t.stderr()).toContain("validating again");
    const after = await t.rows();
    const n = after.findIndex((r) => r.created_at.getTime() >= upAt - 1_000);
    expect(n).toBe(renewed.length); // the first session after the outage
    expect(after[n - 1]).toMatchObject({ state: "released", reason: "Superseded" });
    // Its old session had expired: the new one does not inherit the run.
    expect(after[n]!.online_since).toEqual(after[n]!.created_at);
    t.child.kill("SIGTERM");
    expect(await t.exited).toBe(EXIT.ok);
  }, 60_000);
});
