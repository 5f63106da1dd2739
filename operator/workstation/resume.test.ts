/**
 * Issue 12 item 5: an operator killed between starting a Cloud Workstations operation and recording it in
 * status.operation (kill -9 right after StartWorkstation/CreateWorkstation answered) leaves an operation in
 * flight that no status names. The fake completes an operation only when it is polled by name, like a
 * client that never looks again would see; a new operator must find the operation (ListOperations on the
 * location, matched on its target) and converge, without anyone completing operations for it.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ownerLabels, workstationIdFor } from "../gcp/naming.js";
import { createWorkstationsGateway, type WorkstationsGateway } from "../gcp/workstations.js";
import {
  CLUSTER,
  conditionOf,
  eventually,
  type Harness,
  startHarness,
  TIER_CONFIGS,
} from "../testing/harness.js";
import { WORKSTATION_FINALIZER } from "./decide.js";

let h: Harness;
/** The dead operator's last calls, made directly on the API. */
let dead: WorkstationsGateway;

beforeAll(async () => {
  h = await startHarness({ operationPollsToComplete: 2 });
  dead = createWorkstationsGateway({ client: h.fake.client() });
});

afterAll(async () => {
  await dead?.close();
  await h?.stop();
});

async function isReady(namespace: string, name: string): Promise<boolean> {
  return conditionOf(await h.getWorkstation(namespace, name), "Ready")?.status === "True";
}

describe("resuming an operation in flight after an operator restart", { timeout: 90_000 }, () => {
  it("a start whose operation was never recorded is found and polled to Running", async () => {
    const first = await h.startOperator();
    const ns = await h.tenant();
    await h.createWorkstation(ns, "w", { desiredState: "Stopped" });
    const cloudName = h.cloudName(ns, "w");
    await eventually(
      "created and stopped",
      async () => (await h.getWorkstation(ns, "w"))?.status?.state === "STATE_STOPPED",
    );
    await first.manager.stop();

    // The spec asks for Running; the operator started it and died before writing status.operation.
    await h.patchWorkstation(ns, "w", { spec: { desiredState: "Running" } });
    const started = await dead.start(cloudName);
    expect((await dead.get(cloudName))?.state).toBe("STATE_STARTING");

    const second = await h.startOperator();
    await eventually("Ready after the restart", () => isReady(ns, "w"));
    expect(h.fake.state.calls("StartWorkstation")).toBe(1); // the orphan start only: no second start
    expect(h.fake.state.operations().find((op) => op.name === started.operation)?.done).toBe(true);
    await second.manager.stop();
  });

  it("a create whose operation was never recorded is found and polled to Ready", async () => {
    const ns = await h.tenant();
    await h.createWorkstation(ns, "c");
    // The dead operator had put its finalizer on and called CreateWorkstation; nothing more.
    await h.patchWorkstation(ns, "c", { metadata: { finalizers: [WORKSTATION_FINALIZER] } });
    const config = `${CLUSTER}/workstationConfigs/${TIER_CONFIGS.standard}`;
    const created = await dead.create(config, workstationIdFor(ns, "c"), {
      displayName: `${ns}/c`,
      labels: ownerLabels(ns, "c"),
    });
    expect("operation" in created).toBe(true);
    const createsBefore = h.fake.state.calls("CreateWorkstation");

    const operator = await h.startOperator();
    await eventually("Ready after the restart", () => isReady(ns, "c"));
    expect(h.fake.state.calls("CreateWorkstation")).toBe(createsBefore);
    expect(h.fake.state.workstations().filter((w) => w.labels?.["coditect-namespace"] === ns)).toHaveLength(
      1,
    );
    await operator.manager.stop();
  });
});
