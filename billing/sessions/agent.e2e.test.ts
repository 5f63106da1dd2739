/**
 * The session agent, bundled as the images ship it and started through the Docker image's entrypoint
 * script, against the real sessions API on real PostgreSQL: start, heartbeat, outage (a TCP proxy that
 * drops every connection), offline fallback, reconnection, offline expiry, release, and the refusals.
 * Real time with shortened intervals (1 s heartbeats, 8 s offline grace), polling with generous timeouts.
 */
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { bundleAgent } from "../../images/agent/bundle.js";
import { EXIT } from "../../images/agent/exit-codes.js";
import { systemClock } from "../../lib/clock.js";
import { waitFor } from "../../test-support/wait.js";
import { OutageProxy } from "./outage-proxy.js";
import { type SessionsHarness, startSessionsHarness } from "./test-harness.js";

const BUNDLE = join(".tmp", "agent-e2e", "coditect-agent.mjs");
const ENTRYPOINT = join("images", "docker", "entrypoint.sh");
const OFFLINE_GRACE_MS = 8_000;
/** A payload that ends cleanly on SIGTERM, like a well-behaved container process. */
const PAYLOAD = ["sh", "-c", 'trap "exit 0" TERM; while :; do sleep 0.1; done'];

let h: SessionsHarness;
let proxy: OutageProxy;
const dirs: string[] = [];
const agents: ChildProcess[] = [];

beforeAll(async () => {
  bundleAgent(BUNDLE);
  h = await startSessionsHarness(
    systemClock,
    {
      timing: {
        heartbeatIntervalMs: 1_000,
        offlineGraceByTierMs: {
          starter: OFFLINE_GRACE_MS,
          pro: OFFLINE_GRACE_MS,
          enterprise: OFFLINE_GRACE_MS,
        },
      },
      rateLimits: { heartbeat: { limit: 1_000, windowMs: 60_000 } },
    },
    "sessions_agent",
  );
  proxy = new OutageProxy();
  await proxy.start(new URL(h.url));
});
afterAll(async () => {
  // SIGTERM first: the agent stops its payload; SIGKILL would leave the payload orphaned.
  const running = agents.filter((a) => a.exitCode === null);
  for (const a of running) a.kill("SIGTERM");
  await Promise.all(
    running.map(
      (a) => new Promise((resolve) => (a.exitCode !== null ? resolve(null) : a.once("exit", resolve))),
    ),
  );
  await proxy?.stop();
  await h?.close();
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

interface RunningAgent {
  child: ChildProcess;
  stateDir: string;
  exited: Promise<number>;
  stderr: () => string;
}

function startAgent(
  env: Record<string, string>,
  containerId: string,
  payload: readonly string[] = PAYLOAD,
): RunningAgent {
  const stateDir = mkdtempSync(join(tmpdir(), "agent-e2e-"));
  dirs.push(stateDir);
  let stderr = "";
  const child = spawn("sh", [ENTRYPOINT, ...payload], {
    env: {
      PATH: process.env.PATH,
      CODITECT_NODE: process.execPath,
      CODITECT_AGENT_BUNDLE: BUNDLE,
      CODITECT_LICENSE_SERVER: proxy.url,
      CODITECT_CONTAINER_ID: containerId,
      CODITECT_STATE_DIR: stateDir,
      CODITECT_RETRY_BASE_MS: "100",
      CODITECT_REQUEST_TIMEOUT_MS: "2000",
      ...env,
    },
    stdio: ["ignore", "ignore", "pipe"],
  });
  child.stderr!.on("data", (d) => {
    stderr += d;
  });
  agents.push(child);
  const exited = new Promise<number>((resolve) => child.on("exit", (code) => resolve(code ?? -1)));
  return { child, stateDir, exited, stderr: () => stderr };
}

const phase = (a: RunningAgent) => {
  try {
    return JSON.parse(readFileSync(join(a.stateDir, "state.json"), "utf8")).phase as string;
  } catch {
    return undefined;
  }
};
const status = (a: RunningAgent) =>
  spawnSync(process.execPath, [BUNDLE, "status"], {
    env: { CODITECT_STATE_DIR: a.stateDir },
    encoding: "utf8",
  });
const sessionRow = async (containerId: string) =>
  (
    await h.pool.query(
      "SELECT state, reason, last_heartbeat_at FROM container_sessions WHERE container_id = $1 ORDER BY created_at DESC LIMIT 1",
      [containerId],
    )
  ).rows[0];

describe("session agent against the real sessions API", () => {
  it("starts, heartbeats, survives an outage on its offline token, reconnects, and releases on SIGTERM", async () => {
    const lic = await h.createLicense("pro");
    const agent = startAgent({ CODITECT_LICENSE_KEY: lic.key }, "e2e-main");
    await waitFor("online", () => phase(agent) === "online");
    expect(status(agent).status).toBe(0);
    const first = (await sessionRow("e2e-main")).last_heartbeat_at.getTime();
    await waitFor(
      "a heartbeat",
      async () => (await sessionRow("e2e-main")).last_heartbeat_at.getTime() > first,
    );

    proxy.down();
    try {
      await waitFor("offline", () => phase(agent) === "offline");
      expect(status(agent).status).toBe(0); // licensed on the offline token
    } finally {
      proxy.up();
    }
    await waitFor("back online", () => phase(agent) === "online");

    agent.child.kill("SIGTERM");
    expect(await agent.exited).toBe(EXIT.ok);
    expect(await sessionRow("e2e-main")).toMatchObject({ state: "released", reason: "Released" });
    expect(status(agent).status).not.toBe(0);
  });

  it("the payload does not inherit the license key (issue 13 §8)", async () => {
    const lic = await h.createLicense("pro");
    const envFile = join(mkdtempSync(join(tmpdir(), "agent-payload-env-")), "env");
    dirs.push(dirname(envFile));
    const agent = startAgent({ CODITECT_LICENSE_KEY: lic.key }, "e2e-payload-env", [
      "sh",
      "-c",
      `env > "${envFile}.tmp" && mv "${envFile}.tmp" "${envFile}"; trap "exit 0" TERM; while :; do sleep 0.1; done`,
    ]);
    const printed = await waitFor("the payload's environment", () => {
      try {
        return readFileSync(envFile, "utf8");
      } catch {
        return undefined;
      }
    });
    expect(printed).toMatch(/^CODITECT_SESSION_ID=\S+$/m);
    expect(printed).toMatch(/^CODITECT_CONTAINER_ID=e2e-payload-env$/m);
    expect(printed).not.toContain("CODITECT_LICENSE_KEY");
    expect(printed).not.toContain(lic.key);
    agent.child.kill("SIGTERM");
    expect(await agent.exited).toBe(EXIT.ok);
  });

  it("stops with exit 6 when the outage outlasts the offline token", async () => {
    const lic = await h.createLicense("pro");
    const agent = startAgent({ CODITECT_LICENSE_KEY: lic.key }, "e2e-offline");
    await waitFor("online", () => phase(agent) === "online");
    proxy.down();
    try {
      await waitFor("offline", () => phase(agent) === "offline");
      expect(await agent.exited).toBe(EXIT.offlineGraceExpired);
    } finally {
      proxy.up();
    }
    expect(agent.stderr()).toMatch(/offline/);
    expect(status(agent).status).not.toBe(0);
  });

  it("exits 4 when every seat is taken, 3 for an unknown key, 2 without a key", async () => {
    const lic = await h.createLicense("starter");
    const holder = startAgent({ CODITECT_LICENSE_KEY: lic.key }, "e2e-holder");
    await waitFor("online", () => phase(holder) === "online");
    const second = startAgent({ CODITECT_LICENSE_KEY: lic.key }, "e2e-second");
    expect(await second.exited).toBe(EXIT.seatLimitReached);
    expect(second.stderr()).toMatch(/container seats/);
    holder.child.kill("SIGTERM");
    await holder.exited;

    const unknown = startAgent(
      { CODITECT_LICENSE_KEY: "CODITECT-PRO-AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA" },
      "e2e-unknown",
    );
    expect(await unknown.exited).toBe(EXIT.licenseRejected);
    expect(unknown.stderr()).toMatch(/license_invalid/);

    const missing = startAgent({}, "e2e-missing");
    expect(await missing.exited).toBe(EXIT.config);
    expect(missing.stderr()).toMatch(/CODITECT_LICENSE_KEY is required/);
  });

  it("exits 7 at the next heartbeat after the license is revoked", async () => {
    const lic = await h.createLicense("pro");
    const agent = startAgent({ CODITECT_LICENSE_KEY: lic.key }, "e2e-revoked");
    await waitFor("online", () => phase(agent) === "online");
    await h.revokeLicense(lic.id);
    expect(await agent.exited).toBe(EXIT.sessionEnded);
    expect(agent.stderr()).toMatch(/LicenseRevoked|revoked/);
  });
});
