/**
 * A workstation's own credential (ADR 0150), end to end through the operator, the Kubernetes API test
 * server and the fake Cloud Workstations: the create puts a secret in the workstation's env and only its
 * hash in the Workstation status; the resource is labelled with the cloud id; a workstation whose env does
 * not match the recorded hash (adopted, or a status that lost the hash) gets a new secret; the secret never
 * appears in the resource, the operator's logs or Events.
 */
import { PatchStrategy, setHeaderOptions } from "@kubernetes/client-node";
import { pino } from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { WorkstationResource } from "../../crds/types.js";
import {
  WORKSTATION_CREDENTIAL_ENV,
  WORKSTATION_ID_LABEL,
  workstationCredentialHash,
} from "../../lib/workstation-credential.js";
import { jsonLineSink } from "../../test-support/log-lines.js";
import { ownerLabels, workstationIdFor } from "../gcp/naming.js";
import { conditionOf, eventually, type Harness, startHarness, TEST_POLICY } from "../testing/harness.js";

let h: Harness;
const logs = jsonLineSink();

beforeAll(async () => {
  h = await startHarness();
  await h.startOperator({
    policy: { ...TEST_POLICY, idleStopMinRunMs: 0, observeIntervalMs: 300 },
    logger: pino({ level: "debug" }, logs.stream),
  });
});

afterAll(async () => {
  await h?.stop();
});

function secretOf(cloudName: string): string | undefined {
  return h.fake.state.workstation(cloudName)?.env[WORKSTATION_CREDENTIAL_ENV];
}

/** Everything of the namespace an attacker or an operator of the cluster could read. */
async function clusterText(namespace: string, name: string): Promise<string> {
  const ws = await h.getWorkstation(namespace, name);
  const events = await h.core.listNamespacedEvent({ namespace });
  return JSON.stringify({ ws, events: events.items });
}

describe("workstation credential", { timeout: 120_000 }, () => {
  it("is set at create: the secret in the workstation's env, its hash in status, the id as a label", async () => {
    const ns = await h.tenant();
    await h.createWorkstation(ns, "alice");
    const cloudName = h.cloudName(ns, "alice");
    const ws = await eventually("Ready", async () => {
      const w = await h.getWorkstation(ns, "alice");
      return conditionOf(w, "Ready")?.status === "True" ? w : null;
    });
    const secret = secretOf(cloudName);
    expect(secret).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(ws.status?.credentialHash).toBe(workstationCredentialHash(secret!));
    expect(ws.metadata?.labels?.[WORKSTATION_ID_LABEL]).toBe(workstationIdFor(ns, "alice"));
    expect(cloudName.endsWith(`/${workstationIdFor(ns, "alice")}`)).toBe(true);
    // Set once: the create carried it, no rotation followed.
    expect(h.fake.state.calls("UpdateWorkstation")).toBe(0);
    expect(await clusterText(ns, "alice")).not.toContain(secret);
    expect(logs.raw.join("\n")).not.toContain(secret);
  });

  it("a status without the hash gets a new credential (effective at the next start)", async () => {
    const ns = await h.tenant();
    await h.createWorkstation(ns, "bob");
    const cloudName = h.cloudName(ns, "bob");
    const first = await eventually("hash recorded", async () => {
      const w = await h.getWorkstation(ns, "bob");
      return conditionOf(w, "Ready")?.status === "True" ? w?.status?.credentialHash : undefined;
    });
    const oldSecret = secretOf(cloudName)!;
    await h.custom.patchNamespacedCustomObjectStatus(
      {
        group: WorkstationResource.group,
        version: WorkstationResource.version,
        plural: WorkstationResource.plural,
        namespace: ns,
        name: "bob",
        body: { status: { credentialHash: null } },
      },
      setHeaderOptions("Content-Type", PatchStrategy.MergePatch),
    );
    const rotated = await eventually("rotated", async () => {
      const w = await h.getWorkstation(ns, "bob");
      const hash = w?.status?.credentialHash;
      return hash && hash !== first ? hash : undefined;
    });
    const newSecret = secretOf(cloudName)!;
    expect(newSecret).not.toBe(oldSecret);
    expect(workstationCredentialHash(newSecret)).toBe(rotated);
    expect(await clusterText(ns, "bob")).not.toContain(newSecret);
    expect(logs.raw.join("\n")).not.toContain(newSecret);
  });

  it("an adopted workstation (created elsewhere with our labels, no credential) gets one", async () => {
    const ns = await h.tenant();
    const cloudName = h.cloudName(ns, "carol");
    const parent = cloudName.slice(0, cloudName.lastIndexOf("/workstations/"));
    const [operation] = await h.fake.client().createWorkstation({
      parent,
      workstationId: workstationIdFor(ns, "carol"),
      workstation: { labels: ownerLabels(ns, "carol") },
    });
    await operation.promise();
    expect(secretOf(cloudName)).toBeUndefined();
    await h.createWorkstation(ns, "carol");
    const ws = await eventually("credential set on the adopted workstation", async () => {
      const w = await h.getWorkstation(ns, "carol");
      const secret = secretOf(cloudName);
      return secret && w?.status?.credentialHash === workstationCredentialHash(secret) ? w : null;
    });
    expect(ws.metadata?.labels?.[WORKSTATION_ID_LABEL]).toBe(workstationIdFor(ns, "carol"));
    expect(await clusterText(ns, "carol")).not.toContain(secretOf(cloudName));
  });
});
