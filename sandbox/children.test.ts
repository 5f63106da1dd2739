import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it } from "vitest";
import { describeExit, logTail, spawnChild, stopChildren } from "./children.js";
import { pollUntil } from "./health.js";
import type { ChildSpec } from "./plan.js";
import { REPO_ROOT } from "./testing/launch.js";

const work = mkdtempSync(join(tmpdir(), "coditect-sandbox-children-"));
afterAll(() => rmSync(work, { recursive: true, force: true }));

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

function script(name: string, body: string): string {
  const file = join(work, name);
  writeFileSync(file, body);
  return file;
}

const spec = (name: string, file: string): ChildSpec => ({
  name: "kube",
  script: file,
  args: [name],
  env: { SANDBOX_TEST_MARKER: name },
  health: { kind: "tcp", port: 1 },
  after: [],
});

describe("sandbox children", () => {
  it("logs to <logs>/<name>.log, passes the environment, and a stop takes the whole process group", async () => {
    const grandchildPidFile = join(work, "grandchild.pid");
    const file = script(
      "parent.mjs",
      `import { spawn } from "node:child_process";
       import { writeFileSync } from "node:fs";
       const g = spawn(process.execPath, ["-e", "process.on('SIGTERM', () => {}); setInterval(() => {}, 1000)"], { stdio: "ignore" });
       writeFileSync(${JSON.stringify(grandchildPidFile)}, String(g.pid));
       console.log("hello from", process.argv[2], process.env.SANDBOX_TEST_MARKER);
       process.on("SIGTERM", () => process.exit(0));
       setInterval(() => {}, 1000);`,
    );
    const child = spawnChild(spec("first", file), { root: REPO_ROOT, logDir: work, baseEnv: process.env });
    await pollUntil(
      "grandchild started",
      async () => {
        try {
          return Number(readFileSync(grandchildPidFile, "utf8")) > 0;
        } catch {
          return false;
        }
      },
      { timeoutMs: 60_000 },
    );
    await pollUntil("log line", async () => /hello from first first/.test(logTail(child)), {
      timeoutMs: 30_000,
    });
    const grandchild = Number(readFileSync(grandchildPidFile, "utf8"));
    expect(alive(grandchild)).toBe(true);
    await stopChildren([child]);
    expect(describeExit(child)).toBe("exited with code 0");
    // The grandchild ignores SIGTERM; the group SIGKILL after the child's exit still reaches it.
    await pollUntil("grandchild gone", async () => !alive(grandchild), { timeoutMs: 10_000 });
  }, 90_000);

  it("a child stops itself when the sandbox process is killed without stopping it", async () => {
    const childPidFile = join(work, "orphan.pid");
    const guard = fileURLToPath(new URL("./exit-with-parent.ts", import.meta.url));
    // A stand-in for the sandbox: spawns a guarded child with a stdin pipe, then gets SIGKILLed.
    const fakeSandbox = spawn(
      process.execPath,
      [
        "-e",
        `const { spawn } = require("node:child_process");
         const c = spawn(process.execPath, ["--import", "tsx", "--import", ${JSON.stringify(guard)}, "-e",
           "process.on('SIGTERM', () => { console.log('terminating'); process.exit(0); }); setInterval(() => {}, 1000)"],
           { stdio: ["pipe", "ignore", "ignore"], detached: true, cwd: ${JSON.stringify(REPO_ROOT)} });
         require("node:fs").writeFileSync(${JSON.stringify(childPidFile)}, String(c.pid));
         setInterval(() => {}, 1000);`,
      ],
      { stdio: "ignore" },
    );
    await pollUntil(
      "guarded child started",
      async () => {
        try {
          return alive(Number(readFileSync(childPidFile, "utf8")));
        } catch {
          return false;
        }
      },
      { timeoutMs: 60_000 },
    );
    const orphan = Number(readFileSync(childPidFile, "utf8"));
    // Whether the pipe closes before or after the preload attaches to it, the guard sees its end.
    fakeSandbox.kill("SIGKILL");
    await pollUntil("orphaned child stopped itself", async () => !alive(orphan), { timeoutMs: 30_000 });
  }, 90_000);
});
