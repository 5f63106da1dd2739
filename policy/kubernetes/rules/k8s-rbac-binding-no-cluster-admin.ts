/**
 * Nothing we deploy is bound to cluster-admin or put in the system:masters group.
 * Severity: critical. Anchor: CIS Kubernetes 5.1.1.
 */
import { typeMatchRule } from "../../rule.js";
import { isBindingType } from "../rbac.js";

interface Binding {
  roleRef?: { kind?: string; name?: string };
  subjects?: { kind?: string; name?: string }[];
}

export const policy = typeMatchRule(
  isBindingType,
  {
    name: "k8s-rbac-binding-no-cluster-admin",
    description: "RoleBindings and ClusterRoleBindings must not grant cluster-admin or system:masters.",
    enforcementLevel: "mandatory",
    severity: "critical",
    remediationSteps:
      "Point `roleRef` at a least-privilege Role/ClusterRole and remove system:masters from `subjects`.",
    anchor: "CIS Kubernetes 5.1.1",
  },
  (props) => {
    const binding = props as Binding;
    const problems: string[] = [];
    if (binding.roleRef?.kind === "ClusterRole" && binding.roleRef.name === "cluster-admin") {
      problems.push("roleRef is ClusterRole cluster-admin.");
    }
    for (const subject of binding.subjects ?? []) {
      if (subject.kind === "Group" && subject.name === "system:masters")
        problems.push("subjects include group system:masters.");
    }
    return problems;
  },
);
