/**
 * The first deploy's infrastructure phase (`deployPhase: infrastructure`, docs/operations.md): the prod
 * program without any release value declares the registry, the CI identity and the clusters the first
 * release needs, and nothing that would need an image or a price id. Runs the real plan runner.
 */
import { beforeAll, describe, expect, it } from "vitest";
import type { PlanDocument } from "./plan/format.js";
import { REPO_ROOT, runPlan } from "./plan/run-plan.js";

let doc: PlanDocument;
let outputs: Record<string, unknown>;
let standInsUsed: string[];

beforeAll(async () => {
  ({
    document: doc,
    outputs,
    standInsUsed,
  } = await runPlan("prod", REPO_ROOT, {
    standIns: false,
    overrides: { deployPhase: "infrastructure" },
  }));
}, 120_000);

const types = () => new Set(doc.resources.map((r) => r.type));

describe("deployPhase: infrastructure", () => {
  it("plans without image digests or price ids and uses no stand-in", () => {
    expect(standInsUsed).toEqual([]);
    expect(JSON.stringify(doc)).not.toContain("0ff11e00");
  });

  it("declares what the first release needs: registry, CI identity, signing key, clusters, database", () => {
    for (const type of [
      "gcp:artifactregistry/repository:Repository",
      "gcp:iam/workloadIdentityPoolProvider:WorkloadIdentityPoolProvider",
      "gcp:kms/cryptoKey:CryptoKey",
      "gcp:container/cluster:Cluster",
      "gcp:workstations/workstationCluster:WorkstationCluster",
      "gcp:sql/databaseInstance:DatabaseInstance",
      "gcp:secretmanager/secret:Secret",
    ]) {
      expect(types(), type).toContain(type);
    }
    expect(outputs.buildWorkloadIdentityProvider).toMatch(/providers\/github$/);
  });

  it("declares no workstation config and nothing on Kubernetes", () => {
    expect(types()).not.toContain("gcp:workstations/workstationConfig:WorkstationConfig");
    expect(
      [...types()].filter((t) => t.startsWith("kubernetes:") || t === "coditect:index:ControlPlane"),
    ).toEqual([]);
    expect(outputs.billingUrl).toBeUndefined();
  });
});
