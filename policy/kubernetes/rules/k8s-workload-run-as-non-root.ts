/**
 * Every container runs as a non-root user: `runAsNonRoot: true` on the container or the pod, and no
 * `runAsUser: 0` anywhere.
 * Severity: high. Anchor: Checkov CKV_K8S_23; Pod Security Standards (restricted).
 */
import { typeMatchRule } from "../../rule.js";
import { containersOf, isWorkloadType, podSpecOf } from "../workloads.js";

export const policy = typeMatchRule(
  isWorkloadType,
  {
    name: "k8s-workload-run-as-non-root",
    description: "Containers must run as non-root.",
    enforcementLevel: "mandatory",
    severity: "high",
    remediationSteps:
      "Set `securityContext.runAsNonRoot: true` on the pod (or each container) and a non-zero `runAsUser`.",
    anchor: "Checkov CKV_K8S_23; Pod Security Standards restricted",
  },
  (props, args) => {
    const pod = podSpecOf(args.type, props);
    if (!pod) return undefined;
    return containersOf(pod).flatMap(({ label, container }) => {
      const context = container.securityContext ?? {};
      const nonRoot = context.runAsNonRoot ?? pod.securityContext?.runAsNonRoot;
      const user = context.runAsUser ?? pod.securityContext?.runAsUser;
      if (user === 0) return [`${label} runs as runAsUser 0 (root).`];
      return nonRoot === true ? [] : [`${label} does not set securityContext.runAsNonRoot: true.`];
    });
  },
);
