/**
 * operator/main.ts as a process: its log lines have the shared Cloud Logging shape (parsed from its real
 * stdout) and its /metrics carries the Workstations API and reconcile error series from the start.
 */
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CRD_DIR } from "../crds/load.js";
import { type FakeWorkstations, startFakeWorkstations } from "../test-support/fake-workstations/index.js";
import { type KubeApiServer, startKubeApiServer } from "../test-support/kube-apiserver/index.js";
import { parsePrometheusText, sampleValue } from "../test-support/prometheus.js";
import { waitFor } from "../test-support/wait.js";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
type Line = Record<string, unknown>;

describe("operator/main.ts", () => {
  let kube: KubeApiServer;
  let fake: FakeWorkstations;
  const home = mkdtempSync(join(tmpdir(), "operator-main-"));

  beforeAll(async () => {
    kube = await startKubeApiServer({ crdDirs: [CRD_DIR] });
    fake = await startFakeWorkstations();
    kube.writeKubeconfig(join(home, "kubeconfig"));
  });
  afterAll(async () => {
    await kube.stop();
    await fake.stop();
    rmSync(home, { recursive: true, force: true });
  });

  it("logs severity, service and message on every line and exports zero-initialised error series", async () => {
    const child = spawn(process.execPath, ["--import", "tsx", "operator/main.ts"], {
      cwd: root,
      env: {
        PATH: process.env.PATH ?? "",
        HOME: home,
        KUBECONFIG: join(home, "kubeconfig"),
        WORKSTATIONS_PROJECT: "p1",
        WORKSTATIONS_REGION: "us-central1",
        WORKSTATIONS_CLUSTER: "c1",
        WORKSTATIONS_TIER_CONFIGS: "standard=standard",
        WORKSTATIONS_ENDPOINT: `${fake.endpoint.host}:${fake.endpoint.port}`,
        WORKSTATIONS_INSECURE: "true",
        OPERATOR_LEADER_ELECTION: "false",
        OPERATOR_PROBE_PORT: "0",
        METADATA_SERVER_DETECTION: "none",
      },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d) => {
      stdout += d;
    });
    child.stderr.on("data", (d) => {
      stderr += d;
    });
    const exited = new Promise<number | null>((resolve) => child.on("exit", resolve));
    const lines = (): Line[] =>
      stdout
        .split("\n")
        .filter(Boolean)
        .map((l) => JSON.parse(l) as Line);
    try {
      const started = await waitFor(
        "the operator's start line",
        () => lines().find((l) => String(l.message).startsWith("operator started")),
        { timeoutMs: 30_000 },
      ).catch((error) => {
        throw new Error(`${error.message}\nstdout: ${stdout}\nstderr: ${stderr}`);
      });
      expect(started).toMatchObject({ severity: "INFO", service: "operator", probePort: expect.any(Number) });
      const metrics = parsePrometheusText(
        await (await fetch(`http://127.0.0.1:${started.probePort}/metrics`)).text(),
      );
      expect(
        sampleValue(metrics, "coditect_workstations_api_errors_total", {
          method: "startWorkstation",
          kind: "retryable",
        }),
      ).toBe(0);
      expect(
        sampleValue(metrics, "controller_runtime_reconcile_errors_total", { controller: "workstation" }),
      ).toBe(0);
      child.kill("SIGTERM");
      expect(await exited).toBe(0);
      expect(lines().some((l) => l.message === "shutting down" && l.signal === "SIGTERM")).toBe(true);
      for (const line of lines()) {
        expect(line).toMatchObject({
          severity: expect.any(String),
          service: "operator",
          message: expect.any(String),
        });
        expect(line).not.toHaveProperty("msg");
      }
    } finally {
      child.kill("SIGKILL");
    }
  });
});
