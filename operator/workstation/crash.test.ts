/**
 * Crash safety against the paid cloud API: an operator restart during a pending operation resumes it
 * without a second create, and a crash after each external call in turn (cloud calls and Kubernetes
 * writes, via the CrashInjector seam) followed by a fresh operator taking over the lease leaves exactly
 * one workstation while the resource exists and none after it is deleted.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Operator } from "../operator.js";
import { CrashInjector } from "../runtime/crash.js";
import {
  conditionOf,
  eventually,
  type Harness,
  OPERATOR_NAMESPACE,
  startHarness,
} from "../testing/harness.js";

let h: Harness;

beforeAll(async () => {
  h = await startHarness();
});

afterAll(async () => {
  await h?.stop();
});

/** Short leases so that a successor takes over a crashed holder's lease within about a second. */
const FAST_LEASE = { leaseDurationMs: 1_000, renewDeadlineMs: 700, retryPeriodMs: 100 };

async function startOperator(crashInjector?: CrashInjector): Promise<Operator> {
  const identity = `op-${Math.random().toString(36).slice(2, 8)}`;
  return h.startOperator({
    leaderElection: { namespace: OPERATOR_NAMESPACE, name: "coditect-operator", identity, ...FAST_LEASE },
    ...(crashInjector ? { crashInjector } : {}),
  });
}

function cloudWorkstationsOf(namespace: string) {
  return h.fake.state.workstations().filter((w) => w.labels?.["coditect-namespace"] === namespace);
}

async function isReady(namespace: string, name: string): Promise<boolean> {
  return conditionOf(await h.getWorkstation(namespace, name), "Ready")?.status === "True";
}

describe("crash safety", { timeout: 120_000 }, () => {
  it("an operator restart during a pending create resumes it without a second create", async () => {
    h.fake.state.setOperationPollsToComplete(1_000_000); // GCP is slow: the create stays pending
    const first = await startOperator();
    const ns = await h.tenant();
    await h.createWorkstation(ns, "slow");
    const pending = await eventually("operation recorded", async () => {
      const ws = await h.getWorkstation(ns, "slow");
      return ws?.status?.operation?.kind === "Create" ? ws : null;
    });
    const createsBefore = h.fake.state.calls("CreateWorkstation");
    await first.manager.stop();

    const second = await startOperator();
    await eventually("second operator leads", () => second.manager.isLeader);
    // GCP finishes the create while the new operator polls the operation the old one recorded.
    h.fake.state.setOperationPollsToComplete(1);
    h.fake.state.completeAllOperations();
    await eventually("Ready after restart", () => isReady(ns, "slow"));
    expect(h.fake.state.calls("CreateWorkstation")).toBe(createsBefore);
    expect(cloudWorkstationsOf(ns)).toHaveLength(1);
    const ws = await h.getWorkstation(ns, "slow");
    expect(ws?.status?.externalRef).toBe(pending?.status?.externalRef ?? h.cloudName(ns, "slow"));
    await second.manager.stop();
  });

  it("a crash after every external call in turn leaks nothing and duplicates nothing", async () => {
    // 1. Count the external calls of one full life (create → Ready → delete → gone) without crashing.
    const counter = new CrashInjector();
    const counting = await startOperator(counter);
    const baseline = await h.tenant();
    await h.createWorkstation(baseline, "w");
    await eventually("baseline Ready", () => isReady(baseline, "w"));
    await h.deleteWorkstation(baseline, "w");
    await eventually("baseline gone", async () => (await h.getWorkstation(baseline, "w")) === null);
    await counting.manager.stop();
    const total = counter.calls;
    expect(total).toBeGreaterThan(5);
    expect(counter.log).toContain("gcp.create");
    expect(counter.log).toContain("gcp.delete");

    // 2. For each call k: an operator that dies right after call k, then a fresh one that takes over.
    const crashedAt: string[] = [];
    for (let k = 1; k <= total; k++) {
      const injector = new CrashInjector(k);
      const doomed = await startOperator(injector);
      let successor: Operator | undefined;
      const takeOverIfDead = async () => {
        if (injector.crashed && !successor) successor = await startOperator();
        // GCP finishes operations on its own even when nobody polls them (a crash may lose the name).
        if (injector.crashed) h.fake.state.completeAllOperations();
      };
      const ns = await h.tenant();
      await h.createWorkstation(ns, "w");
      await eventually(`k=${k}: Ready`, async () => {
        await takeOverIfDead();
        return isReady(ns, "w");
      });
      expect(cloudWorkstationsOf(ns), `k=${k}: exactly one workstation while Ready`).toHaveLength(1);
      await h.deleteWorkstation(ns, "w");
      await eventually(`k=${k}: resource gone`, async () => {
        await takeOverIfDead();
        return (await h.getWorkstation(ns, "w")) === null;
      });
      expect(cloudWorkstationsOf(ns), `k=${k}: no workstation left behind`).toHaveLength(0);
      if (injector.crashed) crashedAt.push(injector.log.at(-1)!);
      await doomed.manager.stop();
      await successor?.manager.stop();
    }
    // Every crash point was exercised: each run died right after its k-th call.
    expect(crashedAt.length).toBeGreaterThanOrEqual(total - 2);
    for (const call of new Set(counter.log)) expect(crashedAt, `a crash right after ${call}`).toContain(call);
  }, 600_000);
});
