/**
 * Integration: the operator against the Kubernetes API test server and the fake Cloud Workstations,
 * through the real clients. Each test works in a fresh namespace and asserts on what the cluster and the
 * fake hold.
 */
import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createWorkstationsGateway } from "../gcp/workstations.js";
import type { Operator } from "../operator.js";
import { conditionOf, eventually, type Harness, startHarness, TEST_POLICY } from "../testing/harness.js";

let h: Harness;
let operator: Operator;

beforeAll(async () => {
  h = await startHarness();
  operator = await h.startOperator({
    policy: { ...TEST_POLICY, idleStopMinRunMs: 0, observeIntervalMs: 300 },
  });
});

afterAll(async () => {
  await h?.stop();
});

async function readyWorkstation(namespace: string, name: string) {
  return eventually(`${namespace}/${name} Ready`, async () => {
    const ws = await h.getWorkstation(namespace, name);
    return conditionOf(ws, "Ready")?.status === "True" ? ws : null;
  });
}

describe("Workstation lifecycle", { timeout: 120_000 }, () => {
  it("becomes Ready with a host, the user gets access, status is complete", async () => {
    const ns = await h.tenant();
    await h.createWorkstation(ns, "alice");
    const ws = await readyWorkstation(ns, "alice");
    const cloudName = h.cloudName(ns, "alice");
    expect(ws!.metadata?.finalizers).toContain("coditect.ai/workstation");
    expect(ws!.status).toMatchObject({
      externalRef: cloudName,
      state: "STATE_RUNNING",
      accessGrantedTo: "alice@example.com",
      observedGeneration: ws!.metadata?.generation,
    });
    expect(ws!.status?.host).toBeTruthy();
    expect(ws!.status?.accessUrl).toBe(`https://${ws!.status?.host}`);
    expect(ws!.status?.operation).toBeUndefined();
    expect(ws!.status?.conditions?.map((c) => `${c.type}=${c.status}/${c.reason}`).sort()).toEqual([
      "AccessGranted=True/AccessGranted",
      "Licensed=True/LicenseActive",
      "Provisioned=True/Provisioned",
      "Ready=True/Running",
    ]);
    expect(h.fake.state.workstation(cloudName)?.state).toBe("STATE_RUNNING");
    expect(h.fake.state.iamMembers(cloudName)).toEqual(["user:alice@example.com"]);
    // Events explain the transitions, each once.
    const events = await h.core.listNamespacedEvent({ namespace: ns });
    const reasons = events.items.map((e) => e.reason);
    expect(reasons).toContain("Running");
    expect(reasons.filter((r) => r === "Running")).toHaveLength(1);
  });

  it("stops and starts through spec.desiredState", async () => {
    const ns = await h.tenant();
    await h.createWorkstation(ns, "bob");
    await readyWorkstation(ns, "bob");
    const cloudName = h.cloudName(ns, "bob");
    await h.patchWorkstation(ns, "bob", { spec: { desiredState: "Stopped" } });
    const stopped = await eventually("stopped", async () => {
      const ws = await h.getWorkstation(ns, "bob");
      return ws?.status?.state === "STATE_STOPPED" && conditionOf(ws, "Ready")?.reason === "Stopped"
        ? ws
        : null;
    });
    expect(stopped!.status?.host).toBeUndefined();
    expect(h.fake.state.workstation(cloudName)?.state).toBe("STATE_STOPPED");
    await h.patchWorkstation(ns, "bob", { spec: { desiredState: "Running" } });
    await readyWorkstation(ns, "bob");
    expect(h.fake.state.workstation(cloudName)?.state).toBe("STATE_RUNNING");
    expect(h.fake.state.calls("CreateWorkstation")).toBeGreaterThan(0);
  });

  it("a revoked license stops the workstation and removes access; reinstating restores both", async () => {
    const ns = await h.tenant();
    await h.createWorkstation(ns, "carol");
    await readyWorkstation(ns, "carol");
    const cloudName = h.cloudName(ns, "carol");
    await h.patchLicense(ns, { state: "revoked", stateReason: "AdminRevoked" });
    const ws = await eventually("stopped by license", async () => {
      const w = await h.getWorkstation(ns, "carol");
      return w?.status?.state === "STATE_STOPPED" && conditionOf(w, "Ready")?.reason === "StoppedByLicense"
        ? w
        : null;
    });
    expect(conditionOf(ws, "Licensed")).toMatchObject({ status: "False", reason: "LicenseRevoked" });
    expect(conditionOf(ws, "AccessGranted")).toMatchObject({ status: "False", reason: "AccessRevoked" });
    expect(ws!.status?.accessGrantedTo).toBeUndefined();
    expect(ws!.status?.licenseLapsedAt).toBeTruthy();
    expect(h.fake.state.iamMembers(cloudName)).toEqual([]);
    expect(h.fake.state.workstation(cloudName)?.state).toBe("STATE_STOPPED");

    await h.patchLicense(ns, { state: "active", stateReason: "Reinstated" });
    await readyWorkstation(ns, "carol");
    expect(h.fake.state.iamMembers(cloudName)).toEqual(["user:carol@example.com"]);
  });

  it("changing spec.user moves the access binding", async () => {
    const ns = await h.tenant();
    await h.createWorkstation(ns, "dave");
    await readyWorkstation(ns, "dave");
    const cloudName = h.cloudName(ns, "dave");
    await h.patchWorkstation(ns, "dave", { spec: { user: "erin@example.com" } });
    await eventually("access moved", async () => {
      const ws = await h.getWorkstation(ns, "dave");
      return ws?.status?.accessGrantedTo === "erin@example.com";
    });
    expect(h.fake.state.iamMembers(cloudName)).toEqual(["user:erin@example.com"]);

    // Unassigned (issue 16: billing removes spec.user): nobody keeps access; reassigned: the new user gains it.
    await h.patchWorkstation(ns, "dave", { spec: { user: null } });
    await eventually("access removed", async () => {
      const ws = await h.getWorkstation(ns, "dave");
      return ws?.status?.accessGrantedTo === undefined && h.fake.state.iamMembers(cloudName).length === 0;
    });
    expect((await h.getWorkstation(ns, "dave"))?.spec.user).toBeUndefined();
    await h.patchWorkstation(ns, "dave", { spec: { user: "fay@example.com" } });
    await eventually("access granted to the new assignee", async () => {
      const ws = await h.getWorkstation(ns, "dave");
      return ws?.status?.accessGrantedTo === "fay@example.com";
    });
    expect(h.fake.state.iamMembers(cloudName)).toEqual(["user:fay@example.com"]);
  });

  it("deleting the resource deletes the workstation, then the finalizer; Abandon keeps it", async () => {
    const ns = await h.tenant();
    await h.createWorkstation(ns, "frank");
    await h.createWorkstation(ns, "gina");
    await readyWorkstation(ns, "frank");
    await readyWorkstation(ns, "gina");
    const frank = h.cloudName(ns, "frank");
    const gina = h.cloudName(ns, "gina");

    await h.deleteWorkstation(ns, "frank");
    await eventually(
      "frank gone from the cluster",
      async () => (await h.getWorkstation(ns, "frank")) === null,
    );
    expect(h.fake.state.workstation(frank)).toBeUndefined();

    await h.patchWorkstation(ns, "gina", {
      metadata: { annotations: { "coditect.ai/deletion-policy": "Abandon" } },
    });
    await h.deleteWorkstation(ns, "gina");
    await eventually("gina gone from the cluster", async () => (await h.getWorkstation(ns, "gina")) === null);
    expect(h.fake.state.workstation(gina)?.state).toBe("STATE_RUNNING");
  });

  it("a workstation someone else made under our id is not adopted, started, granted or deleted", async () => {
    const ns = await h.tenant();
    const cloudName = h.cloudName(ns, "ivan");
    const outsider = createWorkstationsGateway({ client: h.fake.client() });
    try {
      const configName = cloudName.slice(0, cloudName.indexOf("/workstations/"));
      await outsider.create(configName, cloudName.slice(cloudName.lastIndexOf("/") + 1), {
        labels: { owner: "someone-else" },
      });
    } finally {
      await outsider.close();
    }
    await h.createWorkstation(ns, "ivan");
    const ws = await eventually("ivan reports the id conflict", async () => {
      const current = await h.getWorkstation(ns, "ivan");
      return conditionOf(current, "Provisioned")?.reason === "WorkstationIdConflict" ? current : null;
    });
    expect(conditionOf(ws, "Ready")).toMatchObject({ status: "False", reason: "WorkstationIdConflict" });
    expect(ws!.status?.externalRef).toBeUndefined();
    expect(h.fake.state.workstation(cloudName)?.state).toBe("STATE_STOPPED");
    expect(h.fake.state.iamMembers(cloudName)).toEqual([]);

    await h.deleteWorkstation(ns, "ivan");
    await eventually("ivan gone from the cluster", async () => (await h.getWorkstation(ns, "ivan")) === null);
    expect(h.fake.state.workstation(cloudName)).toBeDefined();
  });

  it("a License that does not exist yet gates creation; creating it provisions", async () => {
    const ns = await h.tenant();
    await h.createWorkstation(ns, "hank", { licenseRef: { name: "later" } });
    const waiting = await eventually("LicenseNotFound", async () => {
      const ws = await h.getWorkstation(ns, "hank");
      return conditionOf(ws, "Licensed")?.reason === "LicenseNotFound" ? ws : null;
    });
    expect(conditionOf(waiting, "Provisioned")?.reason).toBe("WaitingForLicense");
    expect(h.fake.state.workstation(h.cloudName(ns, "hank"))).toBeUndefined();
    await h.custom.createNamespacedCustomObject({
      group: "coditect.ai",
      version: "v1alpha1",
      plural: "licenses",
      namespace: ns,
      body: {
        apiVersion: "coditect.ai/v1alpha1",
        kind: "License",
        metadata: {
          name: "later",
          namespace: ns,
          labels: { "app.kubernetes.io/managed-by": "coditect-billing" },
        },
        spec: {
          licenseId: randomUUID(),
          organization: ns,
          tier: "pro",
          maxContainers: 5,
          seats: 1,
          expiresAt: null,
          provisioningType: "internal",
          state: "active",
        },
      },
    });
    await readyWorkstation(ns, "hank");
  });

  it("a request Google Cloud rejects becomes a Warning and a condition, and is retried until it succeeds", async () => {
    const ns = await h.tenant();
    h.fake.faults.failNext("StartWorkstation", 2, 9); // FAILED_PRECONDITION: terminal for this request
    await h.createWorkstation(ns, "jo");
    await readyWorkstation(ns, "jo");
    const events = await h.core.listNamespacedEvent({ namespace: ns });
    const rejected = events.items.filter((e) => e.reason === "CloudRequestRejected");
    expect(rejected).toHaveLength(1); // once per transition, although it failed twice
    expect(rejected[0]?.type).toBe("Warning");
    expect(rejected[0]?.message).toMatch(/startWorkstation .* FAILED_PRECONDITION/);
  });

  it("GCP stopping an idle workstation is left alone; a spec change starts it again", async () => {
    const ns = await h.tenant();
    await h.createWorkstation(ns, "ivy");
    await readyWorkstation(ns, "ivy");
    const cloudName = h.cloudName(ns, "ivy");
    h.fake.state.stopByIdleTimeout(cloudName);
    await eventually("StoppedForIdleness", async () => {
      const w = await h.getWorkstation(ns, "ivy");
      return conditionOf(w, "Ready")?.reason === "StoppedForIdleness";
    });
    const starts = h.fake.state.calls("StartWorkstation");
    // Several more passes over the object (the harness re-observes every 300 ms) must not start it.
    const passes = await reconcileCount();
    await eventually("three more reconciles", async () => (await reconcileCount()) >= passes + 3);
    await h.patchWorkstation(ns, "ivy", { metadata: { annotations: { touched: "yes" } } });
    await eventually("another reconcile", async () => (await reconcileCount()) >= passes + 4);
    expect(h.fake.state.calls("StartWorkstation")).toBe(starts);
    expect(h.fake.state.workstation(cloudName)?.state).toBe("STATE_STOPPED");

    await h.patchWorkstation(ns, "ivy", { spec: { displayName: "Ivy again" } });
    await readyWorkstation(ns, "ivy");
    expect(h.fake.state.calls("StartWorkstation")).toBe(starts + 1);
  });
});

async function reconcileCount(): Promise<number> {
  const metric = await operator.manager.metrics.reconcileTotal.get();
  return metric.values.reduce((sum, v) => sum + v.value, 0);
}
