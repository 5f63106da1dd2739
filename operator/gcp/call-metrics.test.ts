// Workstations API call metrics as Prometheus scrapes them: the real gateway and client against the fake.
import { status } from "@grpc/grpc-js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type FakeWorkstations, startFakeWorkstations } from "../../test-support/fake-workstations/index.js";
import { parsePrometheusText, sampleValue } from "../../test-support/prometheus.js";
import { OperatorMetrics, WORKSTATIONS_API_METHODS } from "../runtime/metrics.js";
import { createWorkstationsGateway, type WorkstationsGateway } from "./workstations.js";

process.env.METADATA_SERVER_DETECTION = "none";

const CLUSTER = "projects/p1/locations/us-central1/workstationClusters/c1";
const CONFIG = `${CLUSTER}/workstationConfigs/standard`;

describe("Cloud Workstations API metrics", () => {
  let fake: FakeWorkstations;
  let gateway: WorkstationsGateway;
  const metrics = new OperatorMetrics();
  const scrape = async () => parsePrometheusText(await metrics.registry.metrics());

  beforeAll(async () => {
    fake = await startFakeWorkstations({ operationPollsToComplete: 1 });
    fake.seed({ clusters: [{ name: CLUSTER }], configs: [{ name: CONFIG }] });
    gateway = createWorkstationsGateway({
      apiEndpoint: fake.endpoint.host,
      port: fake.endpoint.port,
      insecure: true,
      projectId: "p1",
      observer: metrics.workstationsCallObserver(),
    });
  });
  afterAll(async () => {
    await gateway.close();
    await fake.stop();
  });

  it("error series exist at zero before any call", async () => {
    const samples = await scrape();
    for (const method of WORKSTATIONS_API_METHODS) {
      for (const kind of ["retryable", "terminal", "conflict"]) {
        expect(sampleValue(samples, "coditect_workstations_api_errors_total", { method, kind })).toBe(0);
      }
    }
  });

  it("counts calls by method and gRPC code, errors by kind, and observes latency", async () => {
    expect(await gateway.get(`${CONFIG}/workstations/absent`)).toBeNull();
    await gateway.list(CONFIG);
    fake.faults.failNext("ListWorkstations", 1, status.UNAVAILABLE);
    await expect(gateway.list(CONFIG)).rejects.toMatchObject({ kind: "retryable" });
    fake.faults.failNext("GetWorkstation", 1, status.PERMISSION_DENIED);
    await expect(gateway.get(`${CONFIG}/workstations/x`)).rejects.toMatchObject({ kind: "terminal" });

    const samples = await scrape();
    const calls = (method: string, code: string) =>
      sampleValue(samples, "coditect_workstations_api_calls_total", { method, code });
    expect(calls("getWorkstation", "NOT_FOUND")).toBe(1);
    expect(calls("getWorkstation", "PERMISSION_DENIED")).toBe(1);
    expect(calls("listWorkstations", "OK")).toBe(1);
    expect(calls("listWorkstations", "UNAVAILABLE")).toBe(1);
    const errors = (method: string, kind: string) =>
      sampleValue(samples, "coditect_workstations_api_errors_total", { method, kind });
    expect(errors("listWorkstations", "retryable")).toBe(1);
    expect(errors("getWorkstation", "terminal")).toBe(1);
    // NOT_FOUND on get is an answer (the workstation is absent), not an API error.
    expect(errors("getWorkstation", "retryable")).toBe(0);
    expect(
      sampleValue(samples, "coditect_workstations_api_call_duration_seconds_count", {
        method: "listWorkstations",
      }),
    ).toBe(2);
  });

  it("zero-initialises a controller's reconcile error series when it is added", async () => {
    const fresh = new OperatorMetrics();
    fresh.initController("workstation");
    const samples = parsePrometheusText(await fresh.registry.metrics());
    expect(
      sampleValue(samples, "controller_runtime_reconcile_errors_total", { controller: "workstation" }),
    ).toBe(0);
    expect(
      sampleValue(samples, "controller_runtime_reconcile_total", {
        controller: "workstation",
        result: "error",
      }),
    ).toBe(0);
    expect(sampleValue(samples, "workqueue_depth", { controller: "workstation" })).toBe(0);
  });
});
