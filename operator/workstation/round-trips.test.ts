/**
 * Issue 18 goal 5: how many round trips a Workstation costs from scratch (docs/adr/0263). With operations
 * that finish at once, one Workstation goes NotFound → create → start → Ready in three reconciles and one
 * GetWorkstation: the finalizer pass carries on in the same reconcile, and a just-finished operation's
 * returned workstation stands for the read that used to follow each poll; the grant writes with the IAM
 * policy the access check just read.
 */
import diagnostics from "node:diagnostics_channel";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { WORKSTATION_ID_LABEL } from "../../lib/workstation-credential.js";
import { workstationIdFor } from "../gcp/naming.js";
import type { GcpWorkstation, OperationStatus } from "../gcp/workstations.js";
import { conditionOf, eventually, type Harness, startHarness } from "../testing/harness.js";
import { freshResult, OPERATION_RESULT_MAX_AGE_MS } from "./reconciler.js";

let h: Harness;

beforeAll(async () => {
  h = await startHarness({ operationPollsToComplete: 0 });
});

afterAll(async () => {
  await h?.stop();
});

describe("round trips of a Workstation provisioned from scratch", { timeout: 60_000 }, () => {
  it("three reconciles, one GetWorkstation (the NotFound before the create), one IAM read", async () => {
    const operator = await h.startOperator();
    const ns = await h.tenant();
    const getsBefore = h.fake.state.calls("GetWorkstation");
    const iamReadsBefore = h.fake.state.calls("GetIamPolicy");
    // The operator's writes to this Workstation, as client-node sends them (undici's diagnostics channel).
    const writes: string[] = [];
    const seeWrite = (message: unknown) => {
      const { request } = message as { request: { method: string; path: string } };
      const path = request.path.split("?")[0]!;
      if (request.method === "PATCH" && path.includes(`/namespaces/${ns}/workstations/w`))
        writes.push(path.endsWith("/status") ? "status" : "metadata");
    };
    diagnostics.subscribe("undici:request:create", seeWrite);
    await h.createWorkstation(ns, "w");
    await eventually(
      "Ready",
      async () => conditionOf(await h.getWorkstation(ns, "w"), "Ready")?.status === "True",
    );
    diagnostics.unsubscribe("undici:request:create", seeWrite);
    const reconciles = (await operator.manager.metrics.reconcileTotal.get()).values.reduce(
      (sum, v) => sum + v.value,
      0,
    );
    expect(h.fake.state.calls("GetWorkstation") - getsBefore).toBe(1);
    expect(h.fake.state.calls("CreateWorkstation")).toBe(1);
    expect(h.fake.state.calls("StartWorkstation")).toBe(1);
    // Who holds access is read once; the grant writes with that policy (its etag guards the write).
    expect(h.fake.state.calls("GetIamPolicy") - iamReadsBefore).toBe(1);
    expect(h.fake.state.calls("SetIamPolicy")).toBe(1);
    expect(reconciles).toBe(3);
    // One metadata write (finalizer and id label together) and one status write per reconcile.
    expect(writes.filter((w) => w === "metadata")).toHaveLength(1);
    expect(writes.filter((w) => w === "status")).toHaveLength(3);
    const ws = await h.getWorkstation(ns, "w");
    expect(ws?.status).toMatchObject({ state: "STATE_RUNNING", accessGrantedTo: ws?.spec.user });
    expect(ws?.status?.accessUrl).toMatch(/^https:\/\//);
    expect(ws?.metadata?.labels?.[WORKSTATION_ID_LABEL]).toBe(workstationIdFor(ns, "w"));
    await operator.manager.stop();
  });
});

describe("freshResult: when a finished operation's workstation stands for a GetWorkstation", () => {
  const name = "projects/p/locations/l/workstationClusters/c/workstationConfigs/x/workstations/w";
  const now = new Date("2026-12-06T12:00:00Z");
  const workstation = { name, state: "STATE_RUNNING", host: "h" } as GcpWorkstation;
  const done = (over: Partial<OperationStatus & { done: true }> = {}): OperationStatus => ({
    name: "op",
    done: true,
    workstation,
    endTime: new Date(now.getTime() - 1_000),
    ...over,
  });

  it("a create, start or stop that ended just now and returned this workstation", () => {
    for (const kind of ["Create", "Start", "Stop"] as const)
      expect(freshResult(done(), kind, name, now)).toBe(true);
    const edge = done({ endTime: new Date(now.getTime() - OPERATION_RESULT_MAX_AGE_MS) });
    expect(freshResult(edge, "Start", name, now)).toBe(true);
  });

  it("not an old result (the operator was down, the key waited): the workstation may have changed since", () => {
    const old = done({ endTime: new Date(now.getTime() - OPERATION_RESULT_MAX_AGE_MS - 1) });
    expect(freshResult(old, "Start", name, now)).toBe(false);
    expect(freshResult(done({ endTime: undefined }), "Start", name, now)).toBe(false);
  });

  it("not a delete, a failure, another workstation, or a pending operation", () => {
    expect(freshResult(done(), "Delete", name, now)).toBe(false);
    expect(freshResult(done({ workstation: undefined }), "Create", name, now)).toBe(false);
    expect(freshResult(done({ workstation: { ...workstation, name: `${name}x` } }), "Start", name, now)).toBe(
      false,
    );
    expect(freshResult(done(), "Start", undefined, now)).toBe(false);
    const failed = { ...done(), error: new Error("boom") } as unknown as OperationStatus;
    expect(freshResult(failed, "Start", name, now)).toBe(false);
    expect(freshResult({ name: "op", done: false }, "Start", name, now)).toBe(false);
  });
});
