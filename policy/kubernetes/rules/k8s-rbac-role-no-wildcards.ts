/**
 * Roles name their API groups, resources and verbs: a "*" grants whatever is added to the cluster later,
 * including our own CRDs' future subresources.
 * Severity: high. Anchor: Checkov CKV_K8S_49 (CIS Kubernetes 5.1.3).
 */
import { typeMatchRule } from "../../rule.js";
import { isRoleType, rulesOf } from "../rbac.js";

const FIELDS = ["apiGroups", "resources", "verbs", "nonResourceURLs"] as const;

export const policy = typeMatchRule(
  isRoleType,
  {
    name: "k8s-rbac-role-no-wildcards",
    description: "Roles and ClusterRoles must not use wildcards.",
    enforcementLevel: "mandatory",
    severity: "high",
    remediationSteps:
      'Replace "*" in `rules[].apiGroups`, `resources`, `verbs` and `nonResourceURLs` with the exact values needed.',
    anchor: "Checkov CKV_K8S_49",
  },
  (props) =>
    rulesOf(props).flatMap(({ label, rule }) =>
      FIELDS.filter((field) =>
        (rule[field] ?? []).some((value) => value === "*" || value.endsWith("/*")),
      ).map((field) => `${label}.${field} contains a wildcard.`),
    ),
);
