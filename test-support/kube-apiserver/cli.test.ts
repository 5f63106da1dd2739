import { type ChildProcess, spawn } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it } from "vitest";
import { parseCliArgs } from "./cli.js";
import { eventually, FIXTURES_DIR, request } from "./fixtures/helpers.js";

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
    });
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
  it("serves with the given CRDs, writes a kubeconfig (creating its directory) and stops on SIGTERM", async () => {
    const dir = mkdtempSync(join(tmpdir(), "kube-serve-"));
    dirs.push(dir);
    const kubeconfig = join(dir, "nested", "kubeconfig");
    const cli = startCli(["--port", "0", "--kubeconfig", kubeconfig, "--crds", FIXTURES_DIR]);
    const url = await eventually(
      () => /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(cli.output())?.[1],
      30_000,
      "server start",
    );
    expect(readFileSync(kubeconfig, "utf8")).toContain(`server: ${url}`);
    const discovery = await request(url, "GET", "/apis/test.coditect.ai/v1");
    expect(discovery.body.resources[0].name).toBe("widgets");
    cli.child.kill("SIGTERM");
    expect(await cli.exited).toBe(0);
    expect(cli.output()).toContain("received SIGTERM, stopping");
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
