/**
 * The real prod stack (Pulumi.prod.yaml through stacks/index.ts, run offline under the stacks' recording
 * mocks) against the whole pack with the repository's policy/config.json: no mandatory violation.
 * One plan per process (the Pulumi runtime is a singleton), so this file computes it once.
 */
import { fileURLToPath } from "node:url";
import { beforeAll, describe, expect, it } from "vitest";
import { loadPolicyConfig } from "./config.js";
import { type Evaluation, evaluate } from "./evaluate.js";
import { generatedCustomResources } from "./kubernetes/generated.js";
import { loadManifestResources } from "./kubernetes/manifests.js";
import { allPolicies, policyNames } from "./policies.js";
import { DEFAULT_MANIFEST_DIRS } from "./run.js";
import { loadStackPlan } from "./stack-plan.js";

const root = fileURLToPath(new URL("..", import.meta.url));
let evaluation: Evaluation;
let resourceTypes: Set<string>;

beforeAll(async () => {
  const plan = await loadStackPlan("prod");
  const manifests = [
    ...loadManifestResources(
      DEFAULT_MANIFEST_DIRS.map((dir) => `${root}${dir}`),
      root,
    ),
    ...generatedCustomResources(),
  ];
  resourceTypes = new Set(plan.resources.map((r) => r.type));
  const config = loadPolicyConfig(`${root}policy/config.json`, policyNames);
  evaluation = await evaluate({ ...plan, resources: [...plan.resources, ...manifests] }, allPolicies, config);
}, 120_000);

describe("the prod stack", () => {
  it("declares the resource kinds the pack is about (so passing is not vacuous)", () => {
    for (const type of [
      "gcp:kms/cryptoKey:CryptoKey",
      "gcp:artifactregistry/repository:Repository",
      "gcp:workstations/workstationConfig:WorkstationConfig",
      "gcp:workstations/workstationCluster:WorkstationCluster",
      "gcp:container/cluster:Cluster",
      "gcp:sql/databaseInstance:DatabaseInstance",
      "gcp:compute/firewall:Firewall",
      "kubernetes:apps/v1:Deployment",
      "kubernetes:rbac.authorization.k8s.io/v1:ClusterRole",
    ]) {
      expect(resourceTypes, type).toContain(type);
    }
  });

  it("passes every mandatory rule", () => {
    const mandatory = evaluation.findings.filter((f) => f.enforcementLevel === "mandatory");
    expect(mandatory.map((f) => `${f.policy} ${f.urn}: ${f.message}`)).toEqual([]);
    expect(evaluation.blocked).toBe(false);
  });
});
