import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { EMPTY_CONFIG } from "../../config.js";
import { evaluate } from "../../evaluate.js";
import type { Plan, PlanResource } from "../../plan.js";
import { loadManifestResources } from "../manifests.js";
import { policy } from "./k8s-customresource-schema-valid.js";

const root = fileURLToPath(new URL("../../..", import.meta.url));

/** The repository's real CRDs and samples (crds/, examples/), as the CLI loads them. */
function repositoryPlan(): Plan {
  return {
    project: "coditect-control-plane",
    stack: "test",
    resources: loadManifestResources([`${root}crds`, `${root}examples`], root),
  };
}

function sample(plan: Plan, kind: string): PlanResource {
  const found = plan.resources.find((r) => r.type === `kubernetes:coditect.ai/v1alpha1:${kind}`);
  if (!found) throw new Error(`examples/ has no ${kind}`);
  return found;
}

async function messages(plan: Plan): Promise<string[]> {
  return (await evaluate(plan, [policy], EMPTY_CONFIG)).findings.map((f) => f.message);
}

describe(policy.name, () => {
  it("passes every sample in examples/ against the CRDs in crds/", async () => {
    const plan = repositoryPlan();
    expect(
      plan.resources.filter((r) => r.type.startsWith("kubernetes:coditect.ai/")).length,
    ).toBeGreaterThanOrEqual(3);
    expect(await messages(plan)).toEqual([]);
  });

  it("fails a sample whose enum field has an unsupported value", async () => {
    const plan = repositoryPlan();
    (sample(plan, "License").inputs.spec as Record<string, unknown>).tier = "platinum";
    expect(await messages(plan)).toContainEqual(
      expect.stringMatching(/^License lic-3f2a9c1e: spec.tier: Unsupported value: "platinum"/),
    );
  });

  it("fails a sample missing a required field", async () => {
    const plan = repositoryPlan();
    // (spec.user is optional since issue 16: an unassigned workstation has none; licenseRef stays required.)
    delete (sample(plan, "Workstation").inputs.spec as Record<string, unknown>).licenseRef;
    expect(await messages(plan)).toContainEqual(
      expect.stringMatching(/^Workstation ws-alice: spec.licenseRef: Required value/),
    );
  });

  it("fails a sample with a field the schema does not know", async () => {
    const plan = repositoryPlan();
    (sample(plan, "ContainerSession").inputs.spec as Record<string, unknown>).gpu = true;
    expect(await messages(plan)).toContainEqual(expect.stringMatching(/unknown field "spec.gpu"/));
  });

  it("fails a sample of a wrong type", async () => {
    const plan = repositoryPlan();
    (sample(plan, "License").inputs.spec as Record<string, unknown>).seats = "ten";
    expect(await messages(plan)).toContainEqual(expect.stringMatching(/spec.seats/));
  });

  it("fails a custom resource in our group whose kind no CRD defines", async () => {
    const plan = repositoryPlan();
    const license = sample(plan, "License");
    plan.resources.push({
      ...license,
      urn: "file:x#Seat",
      type: "kubernetes:coditect.ai/v1alpha1:Seat",
      name: "s1",
    });
    expect(await messages(plan)).toContainEqual(
      "Seat s1: no CustomResourceDefinition defines kind Seat in group coditect.ai.",
    );
  });

  it("fails a custom resource of a version the CRD does not serve", async () => {
    const plan = repositoryPlan();
    const license = sample(plan, "License");
    plan.resources.push({
      ...license,
      urn: "file:x#v2",
      type: "kubernetes:coditect.ai/v2:License",
      inputs: { ...license.inputs, apiVersion: "coditect.ai/v2" },
    });
    expect(await messages(plan)).toContainEqual(expect.stringMatching(/License version v2 is not served/));
  });

  it("validates custom resources registered by the stacks (plan inputs without apiVersion/kind)", async () => {
    const plan = repositoryPlan();
    const { apiVersion: _a, kind: _k, ...inputs } = sample(plan, "License").inputs;
    plan.resources.push({
      urn: "urn:pulumi:prod::coditect-control-plane::kubernetes:coditect.ai/v1alpha1:License::internal",
      type: "kubernetes:coditect.ai/v1alpha1:License",
      name: "internal",
      parent: null,
      inputs: { ...inputs, spec: { ...(inputs.spec as object), provisioningType: "gift" } },
      dependencies: [],
    });
    expect(await messages(plan)).toEqual([
      expect.stringMatching(/^License internal: spec.provisioningType: Unsupported value: "gift"/),
    ]);
  });
});
