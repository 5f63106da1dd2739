/** The pure label-and-credential decision (credential.ts): when to label, when to rotate, when to wait. */
import { describe, expect, it } from "vitest";
import type { Workstation } from "../../crds/types.js";
import { WORKSTATION_ID_LABEL } from "../../lib/workstation-credential.js";
import { credentialActions } from "./credential.js";
import { type CloudWorkstation, WORKSTATION_FINALIZER, type WorkstationDecision } from "./decide.js";

const NAME = "projects/p/locations/l/workstationClusters/c/workstationConfigs/k/workstations/wkst-1";
const HASH = "a".repeat(64);

function ws(
  extra: { labels?: Record<string, string>; hash?: string; deleting?: boolean; unmanaged?: boolean } = {},
): Workstation {
  return {
    apiVersion: "coditect.ai/v1alpha1",
    kind: "Workstation",
    metadata: {
      name: "w",
      namespace: "n",
      labels: extra.labels ?? { [WORKSTATION_ID_LABEL]: "wkst-1" },
      finalizers: extra.unmanaged ? [] : [WORKSTATION_FINALIZER],
      ...(extra.deleting ? { deletionTimestamp: "2026-01-01T00:00:00Z" } : {}),
    },
    spec: { licenseRef: { name: "lic" }, user: "u@example.com", tier: "standard" },
    status: extra.hash ? { credentialHash: extra.hash } : {},
  };
}

function cloud(extra: Partial<CloudWorkstation> = {}): CloudWorkstation {
  return { name: NAME, state: "STATE_RUNNING", labels: {}, credentialHash: HASH, ...extra };
}

const settled: WorkstationDecision = { actions: [], status: {} };

describe("credentialActions", () => {
  it("does nothing when the label and the recorded hash match the cloud workstation", () => {
    expect(credentialActions(ws({ hash: HASH }), cloud(), NAME, settled)).toEqual([]);
  });

  it("labels the resource with the cloud id when the label is missing or different", () => {
    expect(credentialActions(ws({ labels: {}, hash: HASH }), cloud(), NAME, settled)).toEqual([
      { type: "LabelWorkstationId", id: "wkst-1" },
    ]);
    expect(
      credentialActions(
        ws({ labels: { [WORKSTATION_ID_LABEL]: "other" }, hash: HASH }),
        cloud(),
        NAME,
        settled,
      ),
    ).toEqual([{ type: "LabelWorkstationId", id: "wkst-1" }]);
  });

  it.each([
    ["no hash recorded", undefined, HASH],
    ["no credential in the env", HASH, undefined],
    ["a different credential in the env", HASH, "b".repeat(64)],
  ])("rotates when %s", (_label, recorded, inCloud) => {
    const cloudWs = cloud(inCloud ? { credentialHash: inCloud } : { credentialHash: undefined });
    expect(credentialActions(ws(recorded ? { hash: recorded } : {}), cloudWs, NAME, settled)).toEqual([
      { type: "RotateCredential" },
    ]);
  });

  it("rotates a stopped workstation too (the new credential is used at its next start)", () => {
    expect(credentialActions(ws(), cloud({ state: "STATE_STOPPED" }), NAME, settled)).toEqual([
      { type: "RotateCredential" },
    ]);
  });

  it.each<[string, CloudWorkstation | null, WorkstationDecision]>([
    ["no (owned) cloud workstation", null, settled],
    ["the workstation is reconciling", cloud({ reconciling: true, credentialHash: undefined }), settled],
    ["the workstation is starting", cloud({ state: "STATE_STARTING", credentialHash: undefined }), settled],
    [
      "an operation is recorded",
      cloud({ credentialHash: undefined }),
      {
        actions: [],
        status: { operation: { name: "op", kind: "Start", startedAt: "2026-01-01T00:00:00Z" } },
      },
    ],
    [
      "the lifecycle starts an operation",
      cloud({ credentialHash: undefined }),
      { actions: [{ type: "Stop" }], status: {} },
    ],
  ])("waits while %s", (_label, cloudWs, decision) => {
    expect(credentialActions(ws(), cloudWs, NAME, decision)).toEqual([]);
  });

  it("does nothing for a resource without the operator's finalizer (e.g. its License is not billing's)", () => {
    expect(
      credentialActions(
        ws({ labels: {}, unmanaged: true }),
        cloud({ credentialHash: undefined }),
        NAME,
        settled,
      ),
    ).toEqual([]);
  });

  it("does nothing for a resource being deleted or when no status is written", () => {
    expect(
      credentialActions(
        ws({ labels: {}, deleting: true }),
        cloud({ credentialHash: undefined }),
        NAME,
        settled,
      ),
    ).toEqual([]);
    expect(credentialActions(ws({ labels: {} }), cloud(), NAME, { actions: [], status: null })).toEqual([]);
  });
});
