import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import type { RunningChild } from "./children.js";
import type { ChildSpec } from "./plan.js";
import { resolvePorts } from "./ports.js";
import { SandboxStartError, startChildren } from "./supervisor.js";
import { REPO_ROOT } from "./testing/launch.js";

const work = mkdtempSync(join(tmpdir(), "coditect-sandbox-supervisor-"));
afterAll(() => rmSync(work, { recursive: true, force: true }));

function script(name: string, body: string): string {
  const file = join(work, name);
  writeFileSync(file, body);
  return file;
}

const listener = (port: number) =>
  script(
    `listen-${port}.mjs`,
    `import { createServer } from "node:http";
     createServer((_q, s) => s.end("ok")).listen(${port}, "127.0.0.1", () => console.log("listening", ${port}));
     process.on("SIGTERM", () => process.exit(0));`,
  );

/** A free port for each component the specs below may use. */
const freePorts = () =>
  resolvePorts({ kube: 0, stripe: 0, workstations: 0, billing: 0, operator: 0, registry: 0, kms: 0 });

/** A child that listens on `port` and is healthy once it accepts TCP connections. */
const listening = (name: ChildSpec["name"], port: number, after: ChildSpec["after"]): ChildSpec => ({
  name,
  script: listener(port),
  args: [],
  env: {},
  health: { kind: "tcp", port },
  after,
});

describe("startChildren", () => {
  it("starts dependants only after their dependencies are healthy, and reports each one ready", async () => {
    const ports = await freePorts();
    const specs: ChildSpec[] = [
      {
        name: "kube",
        script: listener(ports.kube),
        args: [],
        env: {},
        health: { kind: "http", url: `http://127.0.0.1:${ports.kube}/` },
        after: [],
      },
      listening("billing", ports.billing, ["kube"]),
    ];
    const order: string[] = [];
    const children: RunningChild[] = [];
    const sandbox = await startChildren(
      {
        root: REPO_ROOT,
        dataDir: join(work, "ok"),
        specs,
        env: process.env,
        readyTimeoutMs: 60_000,
        beforeStart: async (spec) => {
          order.push(`prepare ${spec.name}`);
        },
        onReady: (name) => order.push(name),
      },
      children,
    );
    try {
      // billing is prepared (e.g. given its ServiceAccount kubeconfig) only once kube is healthy.
      expect(order).toEqual(["prepare kube", "kube", "prepare billing", "billing"]);
      expect(children.map((c) => c.spec.name)).toEqual(["kube", "billing"]);
    } finally {
      await sandbox.stop();
    }
    expect(children.every((c) => c.exit !== undefined)).toBe(true);
  }, 90_000);

  it("a child that exits before it is healthy fails the start with its exit and log tail; nothing keeps running", async () => {
    const ports = await freePorts();
    const crashing = script(
      "crash.mjs",
      `console.error("cannot open the database: disk full"); process.exit(3);`,
    );
    const children: RunningChild[] = [];
    const attempt = startChildren(
      {
        root: REPO_ROOT,
        dataDir: join(work, "crash"),
        specs: [
          listening("stripe", ports.stripe, []),
          {
            name: "billing",
            script: crashing,
            args: [],
            env: {},
            health: { kind: "tcp", port: ports.billing },
            after: ["stripe"],
          },
          listening("operator", ports.operator, ["billing"]),
        ],
        env: process.env,
        readyTimeoutMs: 60_000,
      },
      children,
    );
    await expect(attempt).rejects.toThrow(SandboxStartError);
    await expect(attempt).rejects.toThrow(
      /billing .*exited with code 3[\s\S]*cannot open the database: disk full/,
    );
    // The operator depends on billing and was never started; the fake Stripe was stopped.
    expect(children.map((c) => c.spec.name).sort()).toEqual(["billing", "stripe"]);
    expect(children.every((c) => c.exit !== undefined)).toBe(true);
  }, 90_000);

  it("a failing preparation fails the start naming the component, which is never spawned", async () => {
    const ports = await freePorts();
    const children: RunningChild[] = [];
    const attempt = startChildren(
      {
        root: REPO_ROOT,
        dataDir: join(work, "prepare"),
        specs: [listening("kube", ports.kube, []), listening("operator", ports.operator, ["kube"])],
        env: process.env,
        readyTimeoutMs: 60_000,
        beforeStart: async (spec) => {
          if (spec.name === "operator") throw new Error("TokenRequest for coditect-operator/operator: 403");
        },
      },
      children,
    );
    await expect(attempt).rejects.toThrow(
      "operator: preparing to start failed: TokenRequest for coditect-operator/operator: 403",
    );
    expect(children.map((c) => c.spec.name)).toEqual(["kube"]);
    expect(children.every((c) => c.exit !== undefined)).toBe(true);
  }, 90_000);
});
