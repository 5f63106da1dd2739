/**
 * The operator converges while the Kubernetes API server misbehaves: watches dropped (closed and reset),
 * a watch resumed from a version that fell out of the history (410 Gone → relist), bursts of 429 and 500
 * answers to every request including status writes, and slow cloud calls.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Operator } from "../operator.js";
import { conditionOf, eventually, type Harness, startHarness } from "../testing/harness.js";

let h: Harness;
let operator: Operator;

beforeAll(async () => {
  h = await startHarness({ watchHistorySize: 5 });
  operator = await h.startOperator();
});

afterAll(async () => {
  await h?.stop();
});

async function allReady(namespace: string, names: string[]): Promise<boolean> {
  for (const name of names) {
    if (conditionOf(await h.getWorkstation(namespace, name), "Ready")?.status !== "True") return false;
  }
  return true;
}

/** A test-side write, retried while the injected faults last (409: an earlier attempt got through). */
async function retrying(what: string, write: () => Promise<unknown>): Promise<void> {
  await eventually(what, async () => {
    try {
      await write();
    } catch (error) {
      if ((error as { code?: number }).code !== 409) throw error;
    }
    return true;
  });
}

describe("convergence under API server faults", { timeout: 120_000 }, () => {
  it("dropped watches, 410 Gone, 429 and 500 bursts: every Workstation still becomes Ready", async () => {
    const ns = await h.tenant();
    const names = ["a", "b", "c", "d", "e", "f"];

    h.kube.faults.holdWatches(true);
    h.kube.faults.dropWatches("close"); // a clean close: the informer resumes from its last version
    // Six creates while the operator cannot watch: its resume point falls out of the 5-event history.
    for (const name of names) await h.createWorkstation(ns, name);
    h.kube.faults.holdWatches(false);
    const workstations = operator.manager.informers.find((i) => i.name === "workstations")!;
    await eventually("410 Gone seen and relisted", () => workstations.gone > 0);

    h.kube.faults.failNext(8, 429, 0);
    h.kube.faults.dropWatches("reset");
    await retrying("label a", () => h.patchWorkstation(ns, "a", { metadata: { labels: { burst: "429" } } }));
    h.kube.faults.failNext(8, 500);
    await eventually(
      "all Ready",
      () => {
        // A 500 on the status write after a create loses the operation's name; Google Cloud finishes the
        // operation on its own, which the fake only does when told (or polled).
        h.fake.state.completeAllOperations();
        return allReady(ns, names);
      },
      45_000,
    );

    const restarts = await operator.manager.metrics.informerRestarts.get();
    expect(restarts.values.reduce((n, v) => n + v.value, 0)).toBeGreaterThan(0);
    for (const name of names)
      expect(h.fake.state.workstation(h.cloudName(ns, name))?.state).toBe("STATE_RUNNING");
    expect(h.fake.state.workstations().filter((w) => w.labels?.["coditect-namespace"] === ns)).toHaveLength(
      6,
    );
  });

  it("cloud faults (UNAVAILABLE, RESOURCE_EXHAUSTED, latency) are retried with backoff until Ready", async () => {
    const ns = await h.tenant();
    h.fake.faults.failNext("CreateWorkstation", 2, 14);
    h.fake.faults.failNext("GetWorkstation", 3, 8);
    h.fake.faults.setLatency(50);
    await h.createWorkstation(ns, "slow");
    await eventually("Ready despite cloud faults", () => allReady(ns, ["slow"]), 45_000);
    h.fake.faults.reset();
    expect(h.fake.state.workstations().filter((w) => w.labels?.["coditect-namespace"] === ns)).toHaveLength(
      1,
    );
  });
});
