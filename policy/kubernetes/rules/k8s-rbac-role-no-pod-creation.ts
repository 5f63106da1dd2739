/**
 * No role creates pods or execs into them: whoever can create a pod can mount any secret and run as any
 * service account in the namespace. Our components manage custom resources, not pods.
 * Severity: high. Anchor: Kubernetes RBAC good practices (workload creation); CIS Kubernetes 5.1.4.
 */
import { typeMatchRule } from "../../rule.js";
import { allowsVerb, coversCoreResource, isRoleType, rulesOf } from "../rbac.js";

const POD_RESOURCES = ["pods", "pods/exec", "pods/attach", "pods/ephemeralcontainers", "pods/portforward"];
const WRITE_VERBS = ["create", "update", "patch"];

export const policy = typeMatchRule(
  isRoleType,
  {
    name: "k8s-rbac-role-no-pod-creation",
    description: "Roles must not create pods or exec/attach into them.",
    enforcementLevel: "mandatory",
    severity: "high",
    remediationSteps:
      "Remove create/update/patch on `pods` and its exec/attach/portforward/ephemeralcontainers subresources from `rules[]`.",
    anchor: "CIS Kubernetes 5.1.4",
  },
  (props) =>
    rulesOf(props).flatMap(({ label, rule }) =>
      POD_RESOURCES.filter((resource) => coversCoreResource(rule, resource)).flatMap((resource) => {
        const verbs = WRITE_VERBS.filter((verb) => allowsVerb(rule, verb));
        return verbs.length > 0 ? [`${label} grants ${verbs.join(", ")} on ${resource}.`] : [];
      }),
    ),
);
