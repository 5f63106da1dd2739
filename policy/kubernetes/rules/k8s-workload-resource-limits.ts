/**
 * Every container declares CPU and memory limits, so one tenant's burst cannot starve the operator or
 * billing.
 * Severity: medium. Anchor: Checkov CKV_K8S_11, CKV_K8S_13.
 */
import { typeMatchRule } from "../../rule.js";
import { containersOf, isWorkloadType, podSpecOf } from "../workloads.js";

export const policy = typeMatchRule(
  isWorkloadType,
  {
    name: "k8s-workload-resource-limits",
    description: "Containers must declare CPU and memory limits.",
    enforcementLevel: "mandatory",
    severity: "medium",
    remediationSteps: "Set `resources.limits.cpu` and `resources.limits.memory` on each container.",
    anchor: "Checkov CKV_K8S_11, CKV_K8S_13",
  },
  (props, args) => {
    const pod = podSpecOf(args.type, props);
    if (!pod) return undefined;
    return containersOf(pod).flatMap(({ label, container }) =>
      ["cpu", "memory"]
        .filter((resource) => container.resources?.limits?.[resource] === undefined)
        .map((resource) => `${label} has no resources.limits.${resource}.`),
    );
  },
);
