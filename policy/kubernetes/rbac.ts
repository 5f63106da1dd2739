/** Reads PolicyRules out of Role / ClusterRole manifests, for the RBAC rules. */
import { kubernetesKind } from "./manifests.js";

export interface RbacRule {
  apiGroups?: string[];
  resources?: string[];
  resourceNames?: string[];
  verbs?: string[];
  nonResourceURLs?: string[];
}

const RBAC_GROUP = "rbac.authorization.k8s.io";

/** True for Role and ClusterRole types (any rbac version). */
export function isRoleType(type: string): boolean {
  return rbacKind(type, /^(Cluster)?Role$/);
}

/** True for RoleBinding and ClusterRoleBinding types. */
export function isBindingType(type: string): boolean {
  return rbacKind(type, /^(Cluster)?RoleBinding$/);
}

function rbacKind(type: string, kindPattern: RegExp): boolean {
  const kind = kubernetesKind(type);
  return kind?.apiVersion.startsWith(`${RBAC_GROUP}/`) === true && kindPattern.test(kind.kind);
}

/** The rules of a role, each labelled `rules[i]` for messages. */
export function rulesOf(props: Record<string, unknown>): { label: string; rule: RbacRule }[] {
  const rules = Array.isArray(props.rules) ? (props.rules as RbacRule[]) : [];
  return rules.map((rule, index) => ({ label: `rules[${index}]`, rule }));
}

/** True when the rule covers `resource` in the core group (or any group through "*"). */
export function coversCoreResource(rule: RbacRule, resource: string): boolean {
  const groups = rule.apiGroups ?? [];
  const resources = rule.resources ?? [];
  return (
    (groups.includes("") || groups.includes("*")) && (resources.includes(resource) || resources.includes("*"))
  );
}

/** True when the rule allows `verb` (directly or through "*"). */
export function allowsVerb(rule: RbacRule, verb: string): boolean {
  const verbs = rule.verbs ?? [];
  return verbs.includes(verb) || verbs.includes("*");
}
