import { spawn } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { jsonLineSink } from "../../test-support/log-lines.js";
import { bundleAgent } from "./bundle.js";
import { createAgentLog } from "./log.js";

describe("agent log lines", () => {
  it("have the shared shape: severity, time, service agent, message", () => {
    const { lines, stream } = jsonLineSink();
    const log = createAgentLog(stream);
    log("warn", "license server unreachable; retrying");
    log("error", "payload exited");
    expect(lines).toEqual([
      {
        severity: "WARNING",
        time: expect.any(String),
        service: "agent",
        message: "license server unreachable; retrying",
      },
      { severity: "ERROR", time: expect.any(String), service: "agent", message: "payload exited" },
    ]);
  });

  it("the bundled agent writes them to stderr, the last line before exit included", async () => {
    const bundle = bundleAgent(join(mkdtempSync(join(tmpdir(), "agent-log-")), "agent.mjs"));
    // A license server that refuses the key: the agent logs why and exits.
    const server = createServer((_req, res) => {
      res.writeHead(403, { "content-type": "application/json" });
      res.end(JSON.stringify({ error: { code: "license_invalid", message: "unknown license key" } }));
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    try {
      const child = spawn(process.execPath, [bundle, "run"], {
        env: {
          PATH: process.env.PATH,
          CODITECT_LICENSE_SERVER: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
          CODITECT_LICENSE_KEY: "CODITECT-PRO-NOT-A-REAL-KEY",
          CODITECT_STATE_DIR: mkdtempSync(join(tmpdir(), "agent-state-")),
          CODITECT_CONTAINER_ID: "log-test",
        },
      });
      let stderr = "";
      child.stderr.on("data", (d) => {
        stderr += d;
      });
      const code = await new Promise<number | null>((resolve) => child.on("exit", resolve));
      const lines = stderr
        .split("\n")
        .filter(Boolean)
        .map((l) => JSON.parse(l) as Record<string, unknown>);
      expect(code, stderr).not.toBe(0);
      expect(lines.length, stderr).toBeGreaterThan(0);
      for (const line of lines) {
        expect(line).toMatchObject({
          severity: expect.any(String),
          service: "agent",
          message: expect.any(String),
        });
      }
      expect(lines.at(-1)?.message, stderr).toMatch(/unknown license key|license_invalid/);
    } finally {
      server.close();
    }
  });
});
