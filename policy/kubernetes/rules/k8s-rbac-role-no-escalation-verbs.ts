/**
 * No role holds the verbs that bypass RBAC itself: `bind` and `escalate` (grant roles one does not hold)
 * and `impersonate` (act as another user, group or service account).
 * Severity: high. Anchor: Kubernetes RBAC good practices (privilege escalation risks).
 */
import { typeMatchRule } from "../../rule.js";
import { isRoleType, rulesOf } from "../rbac.js";

const ESCALATION_VERBS = ["bind", "escalate", "impersonate"];

export const policy = typeMatchRule(
  isRoleType,
  {
    name: "k8s-rbac-role-no-escalation-verbs",
    description: "Roles must not grant bind, escalate or impersonate.",
    enforcementLevel: "mandatory",
    severity: "high",
    remediationSteps: "Remove bind/escalate/impersonate from `rules[].verbs`.",
    anchor: "Kubernetes RBAC good practices",
  },
  (props) =>
    rulesOf(props).flatMap(({ label, rule }) => {
      const verbs = (rule.verbs ?? []).filter((verb) => ESCALATION_VERBS.includes(verb));
      return verbs.length > 0 ? [`${label} grants ${verbs.join(", ")}.`] : [];
    }),
);
