/**
 * Every container has a read-only root filesystem (writable paths are explicit emptyDir volumes).
 * Severity: medium. Anchor: Checkov CKV_K8S_22.
 */
import { typeMatchRule } from "../../rule.js";
import { containersOf, isWorkloadType, podSpecOf } from "../workloads.js";

export const policy = typeMatchRule(
  isWorkloadType,
  {
    name: "k8s-workload-read-only-root-fs",
    description: "Containers must use a read-only root filesystem.",
    enforcementLevel: "mandatory",
    severity: "medium",
    remediationSteps:
      "Set `securityContext.readOnlyRootFilesystem: true` on each container; mount an emptyDir where it must write.",
    anchor: "Checkov CKV_K8S_22",
  },
  (props, args) => {
    const pod = podSpecOf(args.type, props);
    if (!pod) return undefined;
    return containersOf(pod)
      .filter(({ container }) => container.securityContext?.readOnlyRootFilesystem !== true)
      .map(({ label }) => `${label} does not set securityContext.readOnlyRootFilesystem: true.`);
  },
);
