/**
 * Stack policy: every custom resource in a group our CRDs define (samples in examples/, resources the
 * stacks or generators create) validates against its CRD's schema, so a sample that would be rejected
 * by the API server — or a CRD change that breaks existing samples — fails CI.
 * Severity: high. Anchor: none (kubeconform-style schema validation; kubeconform is not installable here).
 */
import type { CoditectStackPolicy } from "../../types.js";
import { type CrdManifest, crdGroups, customResourceProblems } from "../crd-schema.js";
import { kubernetesKind, manifestOf } from "../manifests.js";

const CRD_TYPE = "kubernetes:apiextensions.k8s.io/v1:CustomResourceDefinition";

export const policy: CoditectStackPolicy = {
  name: "k8s-customresource-schema-valid",
  description: "Custom resources must validate against their CustomResourceDefinition schema.",
  enforcementLevel: "mandatory",
  severity: "high",
  remediationSteps:
    "Fix the named field of the custom resource (or the CRD schema in crds/ if the sample is right).",
  anchor: undefined,
  validateStack: (args, reportViolation) => {
    const crds = args.resources.filter((r) => r.type === CRD_TYPE).map((r) => r.props as CrdManifest);
    if (crds.length === 0) args.notApplicable("no CustomResourceDefinitions in this evaluation");
    const groups = crdGroups(crds);
    for (const resource of args.resources) {
      const kind = kubernetesKind(resource.type);
      const group = kind?.apiVersion.includes("/") ? kind.apiVersion.split("/")[0]! : "";
      if (!kind || !groups.has(group)) continue;
      for (const problem of customResourceProblems(manifestOf(resource), crds)) {
        reportViolation(`${kind.kind} ${resource.name}: ${problem}`, resource.urn);
      }
    }
  },
};
