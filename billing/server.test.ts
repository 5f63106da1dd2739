/**
 * The real entry point as a process: configuration errors exit 2 naming the variables; a configured
 * service migrates, serves, logs JSON and shuts down cleanly on SIGTERM.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it } from "vitest";
import { type FakeStripe, startFakeStripe } from "../test-support/fake-stripe/index.js";
import { testDatabase } from "../test-support/postgres/index.js";
import { waitFor } from "../test-support/wait.js";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");

function run(env: Record<string, string>): {
  child: ChildProcess;
  output: () => string;
  exited: Promise<number | null>;
} {
  const child = spawn(process.execPath, ["--import", "tsx", "billing/server.ts"], {
    cwd: root,
    env: { PATH: process.env.PATH ?? "", HOME: process.env.HOME ?? "/tmp", ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  child.stdout!.on("data", (d) => (output += d));
  child.stderr!.on("data", (d) => (output += d));
  const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
  return { child, output: () => output, exited };
}

describe("billing/server.ts", () => {
  let fake: FakeStripe | undefined;
  afterAll(() => fake?.stop());

  it("exits 2 with a message naming every bad variable", async () => {
    const p = run({ ADMIN_TOKEN: "short", STRIPE_SECRET_KEY: "sk_test_x" });
    expect(await p.exited).toBe(2);
    expect(p.output()).toMatch(/STRIPE_WEBHOOK_SECRET: is required/);
    expect(p.output()).toMatch(/ADMIN_TOKEN: must be at least 32 characters/);
  });

  it("serves on the configured database and drains on SIGTERM", async () => {
    fake = await startFakeStripe();
    const p = run({
      PORT: "0",
      DATABASE_URL: await testDatabase("billing_server"),
      STRIPE_SECRET_KEY: "sk_test_server",
      STRIPE_WEBHOOK_SECRET: "whsec_server",
      ADMIN_TOKEN: "server-test-admin-token-0123456789abcdef",
      STRIPE_API_URL: fake.url,
    });
    try {
      const port = await waitFor("the listening log line", () => {
        const line = p
          .output()
          .split("\n")
          .find((l) => l.includes('"billing listening"'));
        return line ? (JSON.parse(line) as { port: number }).port : undefined;
      });
      expect(p.output()).toMatch(/KUBECONFIG unset: cluster feed disabled/);
      const ready = await fetch(`http://127.0.0.1:${port}/readyz`);
      expect(await ready.json()).toEqual({
        status: "ready",
        checks: { database: "ok", cluster: "disabled" },
      });
      p.child.kill("SIGTERM");
      expect(await p.exited).toBe(0);
      expect(p.output()).toMatch(/"msg":"stopped"/);
    } finally {
      p.child.kill("SIGKILL");
    }
  }, 60_000);
});
