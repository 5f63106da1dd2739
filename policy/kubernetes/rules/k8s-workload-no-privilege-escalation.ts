/**
 * No container can gain privileges: `allowPrivilegeEscalation: false` (it defaults to true) and never
 * `privileged: true`.
 * Severity: high. Anchor: Checkov CKV_K8S_20, CKV_K8S_16; Pod Security Standards (restricted).
 */
import { typeMatchRule } from "../../rule.js";
import { containersOf, isWorkloadType, podSpecOf } from "../workloads.js";

export const policy = typeMatchRule(
  isWorkloadType,
  {
    name: "k8s-workload-no-privilege-escalation",
    description: "Containers must set allowPrivilegeEscalation: false and must not be privileged.",
    enforcementLevel: "mandatory",
    severity: "high",
    remediationSteps:
      "Set `securityContext.allowPrivilegeEscalation: false` on each container and remove `privileged: true`.",
    anchor: "Checkov CKV_K8S_20, CKV_K8S_16; Pod Security Standards restricted",
  },
  (props, args) => {
    const pod = podSpecOf(args.type, props);
    if (!pod) return undefined;
    return containersOf(pod).flatMap(({ label, container }) => {
      const problems: string[] = [];
      if (container.securityContext?.privileged === true) problems.push(`${label} is privileged.`);
      if (container.securityContext?.allowPrivilegeEscalation !== false) {
        problems.push(`${label} does not set securityContext.allowPrivilegeEscalation: false.`);
      }
      return problems;
    });
  },
);
