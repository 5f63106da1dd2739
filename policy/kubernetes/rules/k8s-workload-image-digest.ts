/**
 * Every container image is pinned by sha256 digest: what was signed and scanned is what runs.
 * Severity: high. Anchor: Checkov CKV_K8S_43.
 */
import { isPinnedByDigest } from "../../images.js";
import { typeMatchRule } from "../../rule.js";
import { containersOf, isWorkloadType, podSpecOf } from "../workloads.js";

export const policy = typeMatchRule(
  isWorkloadType,
  {
    name: "k8s-workload-image-digest",
    description: "Container images must be pinned by digest.",
    enforcementLevel: "mandatory",
    severity: "high",
    remediationSteps: "Set each container's `image` to <repository>@sha256:<digest>.",
    anchor: "Checkov CKV_K8S_43",
  },
  (props, args) => {
    const pod = podSpecOf(args.type, props);
    if (!pod) return undefined;
    return containersOf(pod)
      .filter(({ container }) => typeof container.image !== "string" || !isPinnedByDigest(container.image))
      .map(
        ({ label, container }) =>
          `${label} image ${JSON.stringify(container.image ?? null)} is not pinned by @sha256 digest.`,
      );
  },
);
