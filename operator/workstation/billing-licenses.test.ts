/**
 * The operator acts only on Licenses billing wrote (label app.kubernetes.io/managed-by=coditect-billing,
 * contract C6): a sample License from examples/ or a hand-made one costs no machine and no cloud call.
 */
import { randomBytes, randomUUID } from "node:crypto";
import { PatchStrategy, setHeaderOptions } from "@kubernetes/client-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { License, Workstation } from "../../crds/types.js";
import { MANAGED_BY_BILLING, MANAGED_BY_LABEL } from "../../lib/domain.js";
import { findCondition } from "../conditions.js";
import { conditionOf, eventually, type Harness, startHarness, TEST_POLICY } from "../testing/harness.js";
import { DEFAULT_POLICY, decideWorkstation, WORKSTATION_FINALIZER } from "./decide.js";

const NOW = new Date("2026-03-01T12:00:00Z");
const policy = { ...DEFAULT_POLICY, tierConfigs: { standard: "cfg-standard" } };

const workstation = (finalizers: string[]): Workstation => ({
  metadata: { name: "alice", namespace: "acme", generation: 1, finalizers },
  spec: { licenseRef: { name: "lic" }, user: "alice@acme.test", tier: "standard" },
});
const license = (labels: Record<string, string> | undefined): License => ({
  metadata: { name: "lic", namespace: "acme", ...(labels ? { labels } : {}) },
  spec: {
    licenseId: "L1",
    organization: "acme",
    tier: "pro",
    maxContainers: 5,
    seats: 1,
    expiresAt: "2026-12-31T00:00:00Z",
    provisioningType: "paid",
    state: "active",
  },
});

describe("decideWorkstation: whose License it is", () => {
  it.each([
    [
      "billing's label",
      { [MANAGED_BY_LABEL]: MANAGED_BY_BILLING },
      [WORKSTATION_FINALIZER],
      ["Create"],
      "LicenseActive",
    ],
    [
      "billing's label, no finalizer yet",
      { [MANAGED_BY_LABEL]: MANAGED_BY_BILLING },
      [],
      ["AddFinalizer"],
      undefined,
    ],
    ["no labels (a sample from examples/)", undefined, [WORKSTATION_FINALIZER], [], "LicenseNotFromBilling"],
    ["no labels, no finalizer: none is added", undefined, [], [], "LicenseNotFromBilling"],
    [
      "another manager's label",
      { [MANAGED_BY_LABEL]: "Helm" },
      [WORKSTATION_FINALIZER],
      [],
      "LicenseNotFromBilling",
    ],
    [
      "the label with another value",
      { [MANAGED_BY_LABEL]: "coditect-billing-x" },
      [],
      [],
      "LicenseNotFromBilling",
    ],
  ])("%s", (_name, labels, finalizers, actions, licensedReason) => {
    const decision = decideWorkstation(
      workstation(finalizers),
      license(labels),
      { workstation: null },
      NOW,
      policy,
    );
    expect(decision.actions.map((a) => a.type)).toEqual(actions);
    if (licensedReason) {
      expect(findCondition(decision.status?.conditions, "Licensed")?.reason).toBe(licensedReason);
    }
    if (licensedReason === "LicenseNotFromBilling") {
      const ready = findCondition(decision.status?.conditions, "Ready");
      expect(ready).toMatchObject({ status: "False", reason: "LicenseNotFromBilling" });
      expect(ready?.message).toContain(
        "was not written by billing (label app.kubernetes.io/managed-by=coditect-billing missing)",
      );
      expect(decision.status?.licenseLapsedAt).toBeUndefined();
      expect(decision.requeueAfterMs).toBeUndefined();
    }
  });

  it("a missing License is still LicenseNotFound (nothing to judge the label of)", () => {
    const decision = decideWorkstation(
      workstation([WORKSTATION_FINALIZER]),
      null,
      { workstation: null },
      NOW,
      policy,
    );
    expect(findCondition(decision.status?.conditions, "Licensed")?.reason).toBe("LicenseNotFound");
  });
});

describe("the operator with a License billing did not write", { timeout: 120_000 }, () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness();
    await h.startOperator({ policy: { ...TEST_POLICY } });
  });
  afterAll(async () => {
    await h?.stop();
  });
  const lic = { group: "coditect.ai", version: "v1alpha1", plural: "licenses" };

  it("says why on the Workstation and calls Google Cloud not at all; billing's label then provisions it", async () => {
    const namespace = `t-${randomBytes(4).toString("hex")}`;
    await h.core.createNamespace({ body: { metadata: { name: namespace } } });
    const sample: License = {
      apiVersion: "coditect.ai/v1alpha1",
      kind: "License",
      metadata: { name: "lic", namespace },
      spec: {
        ...license(undefined).spec,
        licenseId: randomUUID(),
        organization: namespace,
        workstationTier: "standard",
      },
    };
    await h.custom.createNamespacedCustomObject({ ...lic, namespace, body: sample });
    const callsBefore = h.fake.state.calls();
    await h.createWorkstation(namespace, "alice");
    const ws = await eventually("the LicenseNotFromBilling condition", async () => {
      const current = await h.getWorkstation(namespace, "alice");
      return conditionOf(current, "Ready")?.reason === "LicenseNotFromBilling" ? current : null;
    });
    expect(ws!.metadata?.finalizers ?? []).not.toContain(WORKSTATION_FINALIZER);
    expect(h.fake.state.calls()).toBe(callsBefore);
    expect(h.fake.state.workstations()).toEqual([]);

    // Billing writes the License (its label): the Workstation is provisioned as usual.
    await h.custom.patchNamespacedCustomObject(
      {
        ...lic,
        namespace,
        name: "lic",
        body: { metadata: { labels: { [MANAGED_BY_LABEL]: MANAGED_BY_BILLING } } },
      },
      setHeaderOptions("Content-Type", PatchStrategy.MergePatch),
    );
    await eventually("Ready after billing's label", async () => {
      const current = await h.getWorkstation(namespace, "alice");
      return conditionOf(current, "Ready")?.status === "True" ? current : null;
    });
  });
});
