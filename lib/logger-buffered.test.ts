/**
 * bufferedStdout (ADR 0306) in real child processes writing to a real pipe: lines are held until enough have
 * gathered or the interval passes, and none is lost when the process exits — by process.exit, by an uncaught
 * exception, or by the end of its event loop.
 */
import { spawn } from "node:child_process";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { waitFor } from "../test-support/wait.js";

const LOGGER = join(dirname(fileURLToPath(import.meta.url)), "logger.ts");
const TSX = import.meta.resolve("tsx");

/** Runs `body` in a child process with `logger` (a buffered service logger) in scope. */
function child(body: string, options: { minBytes?: number; flushIntervalMs?: number } = {}) {
  const script = `
import { bufferedStdout, createServiceLogger } from ${JSON.stringify(LOGGER)};
const logger = createServiceLogger({ service: "billing", destination: bufferedStdout(${JSON.stringify(options)}) });
${body}`;
  const proc = spawn(process.execPath, ["--import", TSX, "--input-type=module", "-e", script], {
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stdout = "";
  let stderr = "";
  proc.stdout.on("data", (d) => (stdout += d));
  proc.stderr.on("data", (d) => (stderr += d));
  const exited = new Promise<number | null>((resolve) => proc.on("close", (code) => resolve(code)));
  return { proc, exited, stdout: () => stdout, stderr: () => stderr };
}

const messages = (stdout: string) =>
  stdout
    .split("\n")
    .filter(Boolean)
    .map((line) => (JSON.parse(line) as { message: string }).message);
const numbered = (n: number) => Array.from({ length: n }, (_, i) => `line ${i}`);

describe("bufferedStdout", () => {
  it("every line is written, whole and in order, when the process calls process.exit", async () => {
    const c = child(`for (let i = 0; i < 3000; i++) logger.info({ i }, "line " + i);\nprocess.exit(0);`);
    expect(await c.exited).toBe(0);
    expect(messages(c.stdout())).toEqual(numbered(3000));
  }, 30_000);

  it("the lines logged before an uncaught exception are written", async () => {
    const c = child(
      `for (let i = 0; i < 500; i++) logger.info("line " + i);\nthrow new Error("crash after logging");`,
    );
    expect(await c.exited).toBe(1);
    expect(c.stderr()).toContain("crash after logging");
    expect(messages(c.stdout())).toEqual(numbered(500));
  }, 30_000);

  it("the lines are written when the event loop ends without an exit call", async () => {
    const c = child(`for (let i = 0; i < 20; i++) logger.info("line " + i);`);
    expect(await c.exited).toBe(0);
    expect(messages(c.stdout())).toEqual(numbered(20));
  }, 30_000);

  it("a few lines are held until the interval, then written without an exit", async () => {
    // Held: a long interval, and a marker on stderr once the lines were logged a while ago.
    const held = child(
      `logger.info("line 0"); logger.info("line 1");
setTimeout(() => process.stderr.write("logged\\n"), 300);
setTimeout(() => {}, 60_000);`,
      { flushIntervalMs: 60_000 },
    );
    await waitFor("the child to log", () => held.stderr().includes("logged"));
    expect(held.stdout()).toBe("");
    held.proc.kill("SIGKILL");
    await held.exited;

    // Written: a short interval, the process still running.
    const flushed = child(`logger.info("line 0"); setTimeout(() => {}, 60_000);`, { flushIntervalMs: 100 });
    await waitFor("the line to be written", () => messages(flushed.stdout()).length === 1);
    expect(messages(flushed.stdout())).toEqual(["line 0"]);
    expect(flushed.proc.exitCode).toBeNull();
    flushed.proc.kill("SIGKILL");
    await flushed.exited;
  }, 30_000);

  it("once the buffer holds minBytes the lines are written at once", async () => {
    const c = child(
      `for (let i = 0; i < 40; i++) logger.info("line " + i);
setTimeout(() => {}, 60_000);`,
      { minBytes: 1024, flushIntervalMs: 60_000 },
    );
    // 40 lines of ~90 bytes are over 1 KB: written without the interval and without an exit.
    await waitFor("the lines to be written", () => messages(c.stdout()).length >= 30);
    expect(c.proc.exitCode).toBeNull();
    c.proc.kill("SIGKILL");
    await c.exited;
  }, 30_000);
});
