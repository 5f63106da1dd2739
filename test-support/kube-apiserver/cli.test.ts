import { type ChildProcess, spawn } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it } from "vitest";
import { parse } from "yaml";
import { createCertificateAuthority } from "../pki/index.js";
import { parseCliArgs } from "./cli.js";
import { eventually, FIXTURES_DIR, request } from "./fixtures/helpers.js";
import { secureRequest } from "./fixtures/https.js";

const here = dirname(fileURLToPath(import.meta.url));
const REPO = join(here, "..", "..");
const dirs: string[] = [];
const children: ChildProcess[] = [];

afterAll(() => {
  for (const child of children) if (child.exitCode === null) child.kill("SIGKILL");
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

describe("parseCliArgs", () => {
  it("parses port, kubeconfig, repeated --crds and --flag=value forms", () => {
    const options = parseCliArgs([
      "--port",
      "6443",
      "--kubeconfig=/tmp/kc",
      "--crds",
      FIXTURES_DIR,
      "--watch-history",
      "50",
    ]);
    expect(options).toEqual({
      port: 6443,
      kubeconfig: "/tmp/kc",
      crdDirs: [FIXTURES_DIR],
      watchHistorySize: 50,
      tls: true,
      tlsFiles: undefined,
      rbac: true,
      latencyMs: undefined,
      faultControl: undefined,
    });
  });

  it("switches TLS and RBAC off only when asked, and takes given TLS files as a complete set", () => {
    expect(parseCliArgs(["--insecure-http", "--no-rbac"])).toMatchObject({ tls: false, rbac: false });
    const file = join(here, "cli.ts");
    expect(parseCliArgs(["--tls-cert", file, "--tls-key", file, "--tls-ca", file]).tlsFiles).toEqual({
      cert: file,
      key: file,
      ca: file,
    });
    expect(() => parseCliArgs(["--tls-cert", file])).toThrow(
      "--tls-cert needs --tls-key and --tls-ca as well",
    );
    expect(() => parseCliArgs(["--tls-key", "/no/such/key"])).toThrow(
      '--tls-key: "/no/such/key" is not a file',
    );
    expect(() =>
      parseCliArgs(["--insecure-http", "--tls-cert", file, "--tls-key", file, "--tls-ca", file]),
    ).toThrow("--insecure-http cannot be combined with --tls-cert/--tls-key/--tls-ca");
  });

  it("names the bad flag and value", () => {
    expect(() => parseCliArgs(["--port", "http"])).toThrow(
      '--port must be an integer from 0 to 65535, got "http"',
    );
    expect(() => parseCliArgs(["--port", "70000"])).toThrow('got "70000"');
    expect(() => parseCliArgs(["--port"])).toThrow("--port needs a value");
    expect(() => parseCliArgs(["--crds", "/no/such/dir"])).toThrow(
      '--crds: "/no/such/dir" is not a directory',
    );
    expect(() => parseCliArgs(["--kubeconfig", here])).toThrow("is a directory; give a file path");
    expect(() => parseCliArgs(["--watch-history", "0"])).toThrow(
      '--watch-history must be a positive integer, got "0"',
    );
    expect(() => parseCliArgs(["--verbose"])).toThrow('unknown flag "--verbose"');
  });
});

function startCli(args: string[]): {
  child: ChildProcess;
  output: () => string;
  exited: Promise<number | null>;
} {
  const child = spawn(process.execPath, ["--import", "tsx", join(here, "cli.ts"), ...args], { cwd: REPO });
  children.push(child);
  let out = "";
  child.stdout!.on("data", (d) => {
    out += d.toString();
  });
  child.stderr!.on("data", (d) => {
    out += d.toString();
  });
  const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
  return { child, output: () => out, exited };
}

describe("kube:serve CLI", () => {
  it("serves TLS + RBAC by default with the CRDs, writes a kubeconfig with CA and admin token, stops on SIGTERM", async () => {
    const dir = mkdtempSync(join(tmpdir(), "kube-serve-"));
    dirs.push(dir);
    const kubeconfig = join(dir, "nested", "kubeconfig");
    const cli = startCli(["--port", "0", "--kubeconfig", kubeconfig, "--crds", FIXTURES_DIR]);
    // Startup prints several lines; stdout may arrive in pieces, so wait for the last of them.
    await eventually(() => cli.output().includes("kubeconfig written to"), 30_000, "server start");
    const url = /listening on (https:\/\/127\.0\.0\.1:\d+)/.exec(cli.output())?.[1] ?? "";
    expect(url).not.toBe("");
    expect(cli.output()).toContain("TLS on; authentication and RBAC enforced");
    const config = parse(readFileSync(kubeconfig, "utf8"));
    const cluster = config.clusters[0].cluster;
    expect(cluster.server).toBe(url);
    expect(cluster["insecure-skip-tls-verify"]).toBeUndefined();
    const caPem = Buffer.from(cluster["certificate-authority-data"], "base64").toString("utf8");
    const token = config.users[0].user.token as string;
    const discovery = await secureRequest(url, caPem, "GET", "/apis/test.coditect.ai/v1", { token });
    expect(discovery.body.resources[0].name).toBe("widgets");
    const anonymous = await secureRequest(url, caPem, "GET", "/apis/test.coditect.ai/v1");
    expect(anonymous.status).toBe(401);
    expect((await secureRequest(url, caPem, "GET", "/readyz")).status).toBe(200);
    cli.child.kill("SIGTERM");
    expect(await cli.exited).toBe(0);
    expect(cli.output()).toContain("received SIGTERM, stopping");
  });

  it("serves plain http without authentication with --insecure-http --no-rbac", async () => {
    const cli = startCli(["--port", "0", "--insecure-http", "--no-rbac", "--crds", FIXTURES_DIR]);
    const mode = "TLS off (--insecure-http); authentication and RBAC off (--no-rbac)";
    // The mode line follows the listening line; stdout may arrive in pieces, so wait for both.
    const url = await eventually(
      () =>
        cli.output().includes(mode)
          ? /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(cli.output())?.[1]
          : undefined,
      30_000,
      "server start",
    );
    const discovery = await request(url, "GET", "/apis/test.coditect.ai/v1");
    expect(discovery.body.resources[0].name).toBe("widgets");
    cli.child.kill("SIGTERM");
    expect(await cli.exited).toBe(0);
  });

  it("serves the certificate it is given", async () => {
    const dir = mkdtempSync(join(tmpdir(), "kube-serve-"));
    dirs.push(dir);
    const ca = await createCertificateAuthority("given-ca");
    const leaf = await ca.issue({ commonName: "api", ipAddresses: ["127.0.0.1"] });
    writeFileSync(join(dir, "ca.pem"), ca.certPem);
    writeFileSync(join(dir, "cert.pem"), leaf.certPem);
    writeFileSync(join(dir, "key.pem"), leaf.keyPem);
    const cli = startCli([
      "--port",
      "0",
      "--tls-cert",
      join(dir, "cert.pem"),
      "--tls-key",
      join(dir, "key.pem"),
      "--tls-ca",
      join(dir, "ca.pem"),
    ]);
    const url = await eventually(
      () => /listening on (https:\/\/127\.0\.0\.1:\d+)/.exec(cli.output())?.[1],
      30_000,
      "server start",
    );
    expect((await secureRequest(url, ca.certPem, "GET", "/livez")).status).toBe(200);
    const other = await createCertificateAuthority("other-ca");
    await expect(secureRequest(url, other.certPem, "GET", "/livez")).rejects.toThrow();
    cli.child.kill("SIGTERM");
    expect(await cli.exited).toBe(0);
  });

  it("exits 2 with a clear message on a bad flag value and writes nothing", async () => {
    const dir = mkdtempSync(join(tmpdir(), "kube-serve-"));
    dirs.push(dir);
    const cli = startCli(["--port", "abc", "--kubeconfig", join(dir, "kc")]);
    expect(await cli.exited).toBe(2);
    expect(cli.output()).toContain('kube:serve: --port must be an integer from 0 to 65535, got "abc"');
    expect(existsSync(join(dir, "kc"))).toBe(false);
  });
});

describe("kube:serve fault injection (issue 12 item 3)", () => {
  it("parses --latency-ms and the fault control pair, naming bad values", () => {
    expect(
      parseCliArgs([
        "--latency-ms",
        "250",
        "--fault-control-port",
        "7001",
        "--fault-control-token-file",
        "/tmp/t",
      ]),
    ).toMatchObject({ latencyMs: 250, faultControl: { port: 7001, tokenFile: "/tmp/t" } });
    expect(() => parseCliArgs(["--latency-ms", "soon"])).toThrow(
      '--latency-ms must be an integer from 0 to 600000, got "soon"',
    );
    expect(() => parseCliArgs(["--fault-control-port", "7001"])).toThrow(
      "--fault-control-port and --fault-control-token-file go together",
    );
  });

  it("a control endpoint with a bearer token makes the API server answer 429 with Retry-After", async () => {
    const dir = mkdtempSync(join(tmpdir(), "kube-faults-"));
    dirs.push(dir);
    const tokenFile = join(dir, "faults-token");
    const cli = startCli([
      "--port",
      "0",
      "--insecure-http",
      "--no-rbac",
      "--fault-control-port",
      "0",
      "--fault-control-token-file",
      tokenFile,
    ]);
    const control = await eventually(
      () => /fault control on (http:\/\/127\.0\.0\.1:\d+)/.exec(cli.output())?.[1],
      30_000,
      "fault control start",
    );
    const url = await eventually(
      () => /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(cli.output())?.[1],
      30_000,
      "server start",
    );
    const token = readFileSync(tokenFile, "utf8").trim();
    expect(cli.output()).not.toContain(token);
    const post = (path: string, body: unknown, auth = `Bearer ${token}`) =>
      request(control, "POST", path, body, { authorization: auth });

    expect((await post("/faults/fail-next", { count: 1, status: 429 }, "Bearer wrong")).status).toBe(401);
    const bad = await post("/faults/fail-next", { count: 1, status: 503 });
    expect(bad.status).toBe(400);
    expect(bad.body.error).toBe("status must be 429 or 500, got 503");

    expect((await post("/faults/fail-next", { count: 1, status: 429, retryAfterSeconds: 7 })).status).toBe(
      200,
    );
    const throttled = await fetch(`${url}/api/v1/namespaces`);
    expect(throttled.status).toBe(429);
    expect(throttled.headers.get("retry-after")).toBe("7");
    expect((await fetch(`${url}/api/v1/namespaces`)).status).toBe(200);

    expect((await post("/faults/fail-next", { count: 100, status: 500 })).status).toBe(200);
    expect((await fetch(`${url}/api/v1/namespaces`)).status).toBe(500);
    expect((await post("/faults/reset", {})).status).toBe(200);
    expect((await fetch(`${url}/api/v1/namespaces`)).status).toBe(200);
    cli.child.kill("SIGTERM");
    expect(await cli.exited).toBe(0);
  });
});
