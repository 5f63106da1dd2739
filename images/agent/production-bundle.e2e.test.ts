/**
 * A production agent bundle, built by `bundleAgent` with a license server and JWKS baked in, run as a
 * container runs it (issue 13 §3 and §7). The license server is test infrastructure: a local HTTPS server
 * (certificate from test-support/pki, trusted through NODE_EXTRA_CA_CERTS) that admits every validate with
 * an offline token signed by a key the test chooses, serves a JWKS of a *rogue* key, fails every heartbeat
 * (so the agent goes offline at once) and records every request.
 */
import { type ChildProcess, spawn } from "node:child_process";
import {
  chmodSync,
  chownSync,
  cpSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from "node:fs";
import { createServer, type Server } from "node:https";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  generateSigningKey,
  type OfflineTokenKeySet,
  publicJwks,
  signOfflineToken,
} from "../../lib/offline-tokens/index.js";
import { createCertificateAuthority } from "../../test-support/pki/index.js";
import { waitFor } from "../../test-support/wait.js";
import { bundleAgent } from "./bundle.js";
import { EXIT } from "./exit-codes.js";

const KEY = "CODITECT-PRO-PRODUCTIONBUNDLETESTKEY00000";
const PAYLOAD_UID = 1000;
let baked: OfflineTokenKeySet;
let rogue: OfflineTokenKeySet;
let signer: OfflineTokenKeySet;
let serverDown = false;
let server: Server;
let serverUrl = "";
let bundle = "";
let caFile = "";
const requests: string[] = [];
const dirs: string[] = [];
const running: ChildProcess[] = [];

function tempDir(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  dirs.push(dir);
  return dir;
}

beforeAll(async () => {
  baked = { current: await generateSigningKey("baked") };
  rogue = { current: await generateSigningKey("rogue") };
  signer = baked;
  const ca = await createCertificateAuthority("agent test CA");
  const leaf = await ca.issue({ commonName: "license server", ipAddresses: ["127.0.0.1"] });
  caFile = join(tempDir("agent-ca-"), "ca.pem");
  writeFileSync(caFile, ca.certPem);
  server = createServer({ cert: leaf.certPem, key: leaf.keyPem }, (req, res) => {
    let body = "";
    req.on("data", (d) => {
      body += d;
    });
    req.on("end", () => {
      requests.push(`${req.method} ${req.url}`);
      if (serverDown) return void res.writeHead(503).end();
      if (req.url === "/.well-known/jwks.json") {
        return void res
          .writeHead(200, { "content-type": "application/json" })
          .end(JSON.stringify(publicJwks(rogue)));
      }
      if (req.url === "/v1/sessions/validate") {
        const { containerId } = JSON.parse(body) as { containerId: string };
        const claims = {
          licenseId: "lic-1",
          sessionId: "sess-1",
          organization: "acme",
          tier: "pro" as const,
          containerId,
        };
        void signOfflineToken(signer, claims, new Date()).then(({ token }) =>
          res.writeHead(201, { "content-type": "application/json" }).end(
            JSON.stringify({
              sessionId: "sess-1",
              sessionToken: "cst_test",
              licenseTier: "pro",
              organization: "acme",
              heartbeatIntervalSeconds: 1,
              offlineToken: token,
            }),
          ),
        );
        return;
      }
      if (req.url === "/v1/sessions/release") return void res.writeHead(200).end("{}");
      res.writeHead(503).end(); // heartbeats fail: the agent goes offline after its retries
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  serverUrl = `https://127.0.0.1:${(server.address() as AddressInfo).port}`;
  bundle = bundleAgent(join(tempDir("agent-prod-bundle-"), "coditect-agent.mjs"), {
    mode: "production",
    licenseServer: serverUrl,
    jwks: publicJwks(baked),
  });
  chmodSync(dirname(bundle), 0o755); // a non-root agent runs it too (below)
});

afterAll(async () => {
  for (const child of running) if (child.exitCode === null) child.kill("SIGKILL");
  await new Promise((resolve) => server.close(resolve));
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

interface Run {
  child: ChildProcess;
  exited: Promise<number>;
  stderr: () => string;
  stateDir: string;
}

function runAgent(
  env: Record<string, string>,
  payload = ["sh", "-c", 'trap "exit 0" TERM; while :; do sleep 0.1; done'],
): Run {
  const stateDir = env.CODITECT_STATE_DIR ?? tempDir("agent-prod-state-");
  let stderr = "";
  const child = spawn(process.execPath, [bundle, "run", "--", ...payload], {
    env: {
      PATH: process.env.PATH,
      NODE_EXTRA_CA_CERTS: caFile,
      // The same server the bundle has built in: accepted, and what an older agent needs to be comparable.
      CODITECT_LICENSE_SERVER: serverUrl,
      CODITECT_LICENSE_KEY: KEY,
      CODITECT_STATE_DIR: stateDir,
      CODITECT_RETRY_BASE_MS: "50",
      CODITECT_REQUEST_TIMEOUT_MS: "2000",
      ...env,
    },
    stdio: ["ignore", "ignore", "pipe"],
  });
  child.stderr!.on("data", (d) => {
    stderr += d;
  });
  running.push(child);
  const exited = new Promise<number>((resolve) => child.on("exit", (code) => resolve(code ?? -1)));
  // The agent logs JSON lines: the messages, one per line, are what the assertions read.
  const messages = () =>
    stderr
      .split("\n")
      .filter(Boolean)
      .map((line) => {
        try {
          return (JSON.parse(line) as { message: string }).message;
        } catch {
          return line;
        }
      })
      .join("\n");
  return { child, exited, stderr: messages, stateDir };
}

const phase = (stateDir: string) => {
  try {
    return JSON.parse(readFileSync(join(stateDir, "state.json"), "utf8")).phase as string;
  } catch {
    return undefined;
  }
};

describe("a production agent bundle (issue 13 §3)", () => {
  it.each([
    ["plain http to loopback", () => serverUrl.replace("https:", "http:")],
    ["another https server", () => "https://licenses.attacker.example"],
  ])(
    "refuses %s in CODITECT_LICENSE_SERVER: exit 2 naming the fixed server, nothing sent",
    async (_label, url) => {
      requests.length = 0;
      const agent = runAgent({ CODITECT_LICENSE_SERVER: url(), CODITECT_CONTAINER_ID: "ctr-refuse" });
      expect(await agent.exited).toBe(EXIT.config);
      expect(agent.stderr()).toContain(
        `CODITECT_LICENSE_SERVER cannot change the license server of a production agent: it is fixed to ${serverUrl}`,
      );
      expect(requests).toEqual([]);
    },
  );

  it("verifies offline tokens only with the baked JWKS: a token of another key is refused though the server serves that key", async () => {
    signer = rogue;
    requests.length = 0;
    const agent = runAgent({ CODITECT_CONTAINER_ID: "ctr-rogue" });
    expect(await agent.exited).toBe(EXIT.offlineGraceExpired);
    expect(agent.stderr()).toMatch(
      /offline token not usable: offline token was signed by a key not in the JWKS/,
    );
    expect(requests).toContain("POST /v1/sessions/validate");
    expect(requests).not.toContain("GET /.well-known/jwks.json");
  });

  it("runs offline on a token of the baked key, without fetching any JWKS", async () => {
    signer = baked;
    requests.length = 0;
    const agent = runAgent({ CODITECT_CONTAINER_ID: "ctr-a" });
    await waitFor("offline on the token", () => phase(agent.stateDir) === "offline");
    expect(requests).not.toContain("GET /.well-known/jwks.json");
    agent.child.kill("SIGTERM");
    expect(await agent.exited).toBe(EXIT.ok);
    // Run as root with no payload user (this test runs as root): said, not refused.
    expect(agent.stderr()).toContain("the payload runs as root like the agent");
  });
});

describe("an offline token copied to another container (issue 13 §7)", () => {
  async function offlineStateOf(containerId: string): Promise<string> {
    signer = baked;
    const agent = runAgent({ CODITECT_CONTAINER_ID: containerId });
    await waitFor("offline on the token", () => phase(agent.stateDir) === "offline");
    agent.child.kill("SIGTERM");
    await agent.exited;
    // What an older agent also cached beside the token: the JWKS, here the right one.
    writeFileSync(join(agent.stateDir, "jwks.json"), JSON.stringify(publicJwks(baked)));
    return agent.stateDir;
  }

  it("is refused: the agent with another container id exits 5 naming both ids; the original container still runs on it", async () => {
    const original = await offlineStateOf("ctr-original");
    serverDown = true;
    try {
      const copy = tempDir("agent-copied-state-");
      cpSync(original, copy, { recursive: true });
      const elsewhere = runAgent({ CODITECT_CONTAINER_ID: "ctr-other", CODITECT_STATE_DIR: copy });
      expect(await elsewhere.exited).toBe(EXIT.serverUnreachable);
      expect(elsewhere.stderr()).toContain(
        'offline token is bound to container "ctr-original", not to this container "ctr-other"',
      );

      const again = tempDir("agent-copied-state-");
      cpSync(original, again, { recursive: true });
      const same = runAgent({ CODITECT_CONTAINER_ID: "ctr-original", CODITECT_STATE_DIR: again });
      await waitFor("offline on its own token", () => phase(again) === "offline");
      same.child.kill("SIGTERM");
      expect(await same.exited).toBe(EXIT.ok);
    } finally {
      serverDown = false;
    }
  });
});

describe("the payload as another user (CODITECT_PAYLOAD_USER, issue 13 §7)", () => {
  it("is refused with exit 2 when the agent is not root (it could not switch users)", async () => {
    const stateDir = tempDir("agent-nonroot-state-");
    chownSync(stateDir, PAYLOAD_UID, PAYLOAD_UID);
    const child = spawn(process.execPath, [bundle, "run", "--", "true"], {
      uid: PAYLOAD_UID,
      gid: PAYLOAD_UID,
      env: {
        CODITECT_LICENSE_KEY: KEY,
        CODITECT_STATE_DIR: stateDir,
        CODITECT_CONTAINER_ID: "ctr-nonroot",
        CODITECT_PAYLOAD_USER: "1001:1001",
      },
      stdio: ["ignore", "ignore", "pipe"],
    });
    let stderr = "";
    child.stderr.on("data", (d) => {
      stderr += d;
    });
    const code = await new Promise<number | null>((resolve) => child.on("exit", resolve));
    expect(code, stderr).toBe(EXIT.config);
    expect(stderr).toContain(
      `CODITECT_PAYLOAD_USER=1001:1001 needs the agent to run as root (it runs as uid ${PAYLOAD_UID})`,
    );
  });

  it("cannot read the agent's state directory nor /proc/<agent pid>/environ; the agent takes the state dir back", async () => {
    expect(process.getuid?.(), "this test starts the agent as root, as the image does").toBe(0);
    signer = baked;
    const parent = tempDir("agent-payload-user-");
    chmodSync(parent, 0o755);
    // As an image might ship it: the state directory handed to the payload's user.
    const stateDir = join(parent, "state");
    mkdirSync(stateDir, { mode: 0o777 });
    chownSync(stateDir, PAYLOAD_UID, PAYLOAD_UID);
    const out = join(parent, "out");
    mkdirSync(out, { mode: 0o777 });
    chmodSync(out, 0o777);
    const script = [
      `id -u > ${out}/uid`,
      `cat "$CODITECT_STATE_DIR/offline-token.jwt" > ${out}/token 2> ${out}/token.err`,
      `cat /proc/$PPID/environ > ${out}/environ 2> ${out}/environ.err`,
      `touch "$CODITECT_STATE_DIR/planted" 2> ${out}/plant.err`,
      `touch ${out}/done`,
      'trap "exit 0" TERM; while :; do sleep 0.1; done',
    ].join("; ");
    const agent = runAgent(
      {
        CODITECT_CONTAINER_ID: "ctr-payload-user",
        CODITECT_STATE_DIR: stateDir,
        CODITECT_PAYLOAD_USER: `${PAYLOAD_UID}:${PAYLOAD_UID}`,
      },
      ["sh", "-c", script],
    );
    await waitFor("the payload's probes", () => {
      try {
        return statSync(join(out, "done")).isFile();
      } catch {
        return false;
      }
    });
    const read = (name: string) => readFileSync(join(out, name), "utf8");
    expect(read("uid").trim()).toBe(String(PAYLOAD_UID));
    expect(read("token")).toBe("");
    expect(read("token.err")).toMatch(/Permission denied/);
    expect(read("environ")).toBe("");
    expect(read("environ.err")).toMatch(/Permission denied/);
    expect(read("plant.err")).toMatch(/Permission denied/);
    const stat = statSync(stateDir);
    expect({ uid: stat.uid, mode: stat.mode & 0o777 }).toEqual({ uid: 0, mode: 0o700 });
    // The agent itself still reads and writes its state there.
    expect(readFileSync(join(stateDir, "offline-token.jwt"), "utf8")).toMatch(/^ey/);
    agent.child.kill("SIGTERM");
    expect(await agent.exited).toBe(EXIT.ok);
    expect(agent.stderr()).not.toContain("the payload runs as root");
  });
});
