import { execFile } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, describe, expect, it } from "vitest";
import { keySetFromConfig } from "../lib/offline-tokens/index.js";
import { resetDataDir } from "./data-dir.js";
import { componentsToRun, DEFAULT_PORTS } from "./options.js";
import { PortInUseError, resolvePorts } from "./ports.js";
import { loadOrCreateSecrets } from "./secrets.js";
import { REPO_ROOT } from "./testing/launch.js";

const work = mkdtempSync(join(tmpdir(), "coditect-sandbox-setup-"));
afterAll(() => rmSync(work, { recursive: true, force: true }));

describe("resolvePorts", () => {
  let busy: Server | undefined;
  afterEach(() => busy?.close());

  it("replaces 0 by distinct free ports and keeps fixed free ones", async () => {
    const free = await resolvePorts({
      kube: 0,
      stripe: 0,
      workstations: 0,
      billing: 0,
      operator: 0,
      registry: 0,
      kms: 0,
    });
    expect(new Set(Object.values(free)).size).toBe(7);
    for (const port of Object.values(free)) expect(port).toBeGreaterThan(0);
    const fixed = await resolvePorts({ ...free, billing: free.billing });
    expect(fixed).toEqual(free);
  });

  it("a busy port stops the start with a message naming the port, the component and the flag", async () => {
    busy = createServer();
    await new Promise<void>((resolve) => busy!.listen(0, "127.0.0.1", resolve));
    const port = (busy.address() as { port: number }).port;
    const attempt = resolvePorts({
      ...DEFAULT_PORTS,
      kube: 0,
      stripe: 0,
      workstations: 0,
      operator: 0,
      registry: 0,
      kms: 0,
      billing: port,
    });
    await expect(attempt).rejects.toThrow(PortInUseError);
    await expect(
      resolvePorts({ ...DEFAULT_PORTS, kube: 0, stripe: 0, workstations: 0, operator: 0, billing: port }),
    ).rejects.toThrow(
      new RegExp(
        `port ${port} for the billing is not available .*--billing-port <port> or SANDBOX_BILLING_PORT`,
      ),
    );
  });

  it("only the components that run are probed: a busy registry port does not matter without docker-registry", async () => {
    busy = createServer();
    await new Promise<void>((resolve) => busy!.listen(0, "127.0.0.1", resolve));
    const port = (busy.address() as { port: number }).port;
    const requested = {
      ...DEFAULT_PORTS,
      kube: 0,
      stripe: 0,
      workstations: 0,
      billing: 0,
      operator: 0,
      kms: 0,
    };
    const core = await resolvePorts({ ...requested, registry: port }, componentsToRun(false));
    expect(core.registry).toBe(port);
    await expect(resolvePorts({ ...requested, registry: port }, componentsToRun(true))).rejects.toThrow(
      new RegExp(
        `port ${port} for the OCI registry \\(docker-registry\\) is not available .*--registry-port`,
      ),
    );
  });
});

describe("loadOrCreateSecrets", () => {
  it("generates the secrets once, private to the user, and returns the same ones afterwards", async () => {
    const dir = join(work, "secrets");
    const first = await loadOrCreateSecrets(dir);
    expect(first.adminToken.length).toBeGreaterThanOrEqual(32);
    expect(first.webhookSecret).toMatch(/^whsec_/);
    expect(statSync(join(dir, "sandbox-secrets.json")).mode & 0o077).toBe(0);
    expect(statSync(first.offlineTokenKeysFile).mode & 0o077).toBe(0);
    const keys = await keySetFromConfig(readFileSync(first.offlineTokenKeysFile, "utf8"), "test");
    expect(keys.current.kid).toBe("sandbox-1");
    const second = await loadOrCreateSecrets(dir);
    expect(second).toEqual(first);
    const other = await loadOrCreateSecrets(join(work, "secrets-2"));
    expect(other.adminToken).not.toBe(first.adminToken);
  });

  it("refuses a damaged secrets file instead of silently replacing it", async () => {
    const dir = join(work, "damaged");
    mkdirSync(dir, { recursive: true });
    writeFileSync(
      join(dir, "sandbox-secrets.json"),
      JSON.stringify({ adminToken: "short", webhookSecret: "x" }),
    );
    await expect(loadOrCreateSecrets(dir)).rejects.toThrow(
      /sandbox-secrets.json is not a valid sandbox secrets file/,
    );
  });
});

describe("resetDataDir", () => {
  it("wipes a sandbox data directory", async () => {
    const dir = join(work, "data");
    await loadOrCreateSecrets(dir);
    mkdirSync(join(dir, "pglite"));
    mkdirSync(join(dir, "agent-laptop"));
    resetDataDir(dir);
    expect(() => statSync(dir)).toThrow();
  });

  it("refuses a directory holding files the sandbox did not create, and deletes nothing", () => {
    const dir = join(work, "home");
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, "thesis.tex"), "precious");
    writeFileSync(join(dir, "kubeconfig"), "");
    expect(() => resetDataDir(dir)).toThrow(/--reset refused: .* \(thesis\.tex\)/);
    expect(readFileSync(join(dir, "thesis.tex"), "utf8")).toBe("precious");
  });
});

describe("npm run sandbox:pay", () => {
  const pay = (args: string[]) =>
    new Promise<{ code: number | null; stderr: string }>((resolve) =>
      execFile(
        process.execPath,
        ["--import", "tsx", "sandbox/pay.ts", ...args],
        { cwd: REPO_ROOT, timeout: 60_000 },
        (error, _stdout, stderr) => resolve({ code: error ? (error.code as number) : 0, stderr }),
      ),
    );

  it("refuses an argument that is not a checkout session id, naming it", async () => {
    const result = await pay(["sub_123"]);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/"sub_123" is not a Checkout Session id/);
  }, 60_000);

  it("says so when no sandbox runs in the data directory", async () => {
    const result = await pay(["cs_test_abc", "--data-dir", join(work, "nothing-here")]);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/no running sandbox found in .*nothing-here; start one with npm start/);
  }, 60_000);
});

describe("npm start refusals", () => {
  const start = (args: string[]) =>
    new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) =>
      execFile(
        process.execPath,
        ["--import", "tsx", "sandbox/main.ts", ...args],
        { cwd: REPO_ROOT, timeout: 60_000 },
        (error, stdout, stderr) => resolve({ code: error ? (error.code as number) : 0, stdout, stderr }),
      ),
    );

  it("a bad flag exits 2 naming it", async () => {
    const result = await start(["--billing-port", "nope"]);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/--billing-port must be a port number from 0 to 65535, got "nope"/);
  }, 60_000);

  it("a busy port exits 1 naming the port and the component, and starts nothing", async () => {
    const busy = createServer();
    await new Promise<void>((resolve) => busy.listen(0, "127.0.0.1", resolve));
    const port = (busy.address() as { port: number }).port;
    const dataDir = join(work, "busy");
    try {
      const result = await start(["--data-dir", dataDir, "--kube-port", String(port)]);
      expect(result.code).toBe(1);
      expect(result.stderr).toMatch(
        new RegExp(`port ${port} for the Kubernetes API test server is not available`),
      );
      expect(result.stdout).not.toMatch(/starting/);
    } finally {
      busy.close();
    }
  }, 60_000);
});
