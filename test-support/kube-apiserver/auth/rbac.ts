/**
 * kube's RBAC authorizer as a pure function (k8s.io/kubernetes/plugin/pkg/auth/authorizer/rbac): the rules
 * of every ClusterRoleBinding that applies to the user, then of every RoleBinding in the request's
 * namespace; allowed as soon as one rule matches. Members of `system:masters` are allowed everything first,
 * as kube's privileged-group authorizer does. Bindings whose role does not exist contribute nothing and are
 * reported in the reason (`RBAC: clusterrole.rbac.authorization.k8s.io "x" not found`).
 */
import type { RequestAttributes } from "./attributes.js";
import { SYSTEM_MASTERS, serviceAccountUserName, type UserInfo } from "./user.js";

export interface PolicyRule {
  verbs?: string[];
  apiGroups?: string[];
  resources?: string[];
  resourceNames?: string[];
  nonResourceURLs?: string[];
}

export interface Subject {
  kind: string;
  name: string;
  namespace?: string;
  apiGroup?: string;
}

export interface RoleRef {
  apiGroup?: string;
  kind: string;
  name: string;
}

export interface Binding {
  metadata: { name?: string; namespace?: string };
  subjects?: Subject[];
  roleRef: RoleRef;
}

export interface Role {
  rules?: PolicyRule[];
}

/** Read access to the RBAC objects the server holds (the store, or a table in tests). */
export interface RbacSource {
  clusterRoleBindings(): Iterable<Binding>;
  roleBindings(namespace: string): Iterable<Binding>;
  clusterRole(name: string): Role | undefined;
  role(namespace: string, name: string): Role | undefined;
}

export interface Decision {
  allowed: boolean;
  /** kube's reason: which binding allowed it, or the RBAC errors met on the way ("" when none). */
  reason: string;
}

const has = (list: string[] | undefined, value: string) => (list ?? []).includes(value);

export function verbMatches(rule: PolicyRule, verb: string): boolean {
  return has(rule.verbs, "*") || has(rule.verbs, verb);
}

export function apiGroupMatches(rule: PolicyRule, group: string): boolean {
  return has(rule.apiGroups, "*") || has(rule.apiGroups, group);
}

/** `*`, the exact `resource` or `resource/subresource`, or `*\/subresource`. */
export function resourceMatches(rule: PolicyRule, combined: string, subresource: string): boolean {
  for (const r of rule.resources ?? []) {
    if (r === "*" || r === combined) return true;
    if (subresource !== "" && r === `*/${subresource}`) return true;
  }
  return false;
}

/** No resourceNames: any name. Otherwise the request must name one of them ("" — a collection — never does). */
export function resourceNameMatches(rule: PolicyRule, name: string): boolean {
  if ((rule.resourceNames ?? []).length === 0) return true;
  return has(rule.resourceNames, name);
}

/** `*`, an exact path, or a prefix ending in `*` (`/apis/*`). */
export function nonResourceUrlMatches(rule: PolicyRule, path: string): boolean {
  for (const url of rule.nonResourceURLs ?? []) {
    if (url === "*" || url === path) return true;
    if (url.endsWith("*") && path.startsWith(url.slice(0, -1))) return true;
  }
  return false;
}

export function ruleAllows(attrs: RequestAttributes, rule: PolicyRule): boolean {
  if (attrs.kind === "nonResource")
    return verbMatches(rule, attrs.verb) && nonResourceUrlMatches(rule, attrs.path);
  const combined = attrs.subresource ? `${attrs.resource}/${attrs.subresource}` : attrs.resource;
  return (
    verbMatches(rule, attrs.verb) &&
    apiGroupMatches(rule, attrs.apiGroup) &&
    resourceMatches(rule, combined, attrs.subresource) &&
    resourceNameMatches(rule, attrs.name)
  );
}

/** A ServiceAccount subject without a namespace means the binding's own namespace (none for cluster bindings). */
export function appliesTo(user: UserInfo, subject: Subject, bindingNamespace: string): boolean {
  switch (subject.kind) {
    case "User":
      return user.name === subject.name;
    case "Group":
      return user.groups.includes(subject.name);
    case "ServiceAccount": {
      const namespace = subject.namespace || bindingNamespace;
      return namespace !== "" && user.name === serviceAccountUserName(namespace, subject.name);
    }
    default:
      return false;
  }
}

function describeSubject(subject: Subject, bindingNamespace: string): string {
  if (subject.kind === "ServiceAccount")
    return `ServiceAccount ${JSON.stringify(`${subject.name}/${subject.namespace || bindingNamespace}`)}`;
  return `${subject.kind} ${JSON.stringify(subject.name)}`;
}

export function authorize(source: RbacSource, user: UserInfo, attrs: RequestAttributes): Decision {
  if (user.groups.includes(SYSTEM_MASTERS)) return { allowed: true, reason: "" };
  const errors: string[] = [];
  const visit = (binding: Binding, namespace: string): string | undefined => {
    const subject = (binding.subjects ?? []).find((s) => appliesTo(user, s, namespace));
    if (!subject) return undefined;
    const ref = binding.roleRef;
    const role =
      ref.kind === "ClusterRole"
        ? source.clusterRole(ref.name)
        : ref.kind === "Role" && namespace !== ""
          ? source.role(namespace, ref.name)
          : undefined;
    if (!role) {
      errors.push(
        `${ref.kind.toLowerCase()}.rbac.authorization.k8s.io ${JSON.stringify(ref.name)} not found`,
      );
      return undefined;
    }
    if (!(role.rules ?? []).some((rule) => ruleAllows(attrs, rule))) return undefined;
    const where =
      namespace === ""
        ? `ClusterRoleBinding ${JSON.stringify(binding.metadata.name)}`
        : `RoleBinding ${JSON.stringify(`${binding.metadata.name}/${namespace}`)}`;
    return `RBAC: allowed by ${where} of ${ref.kind} ${JSON.stringify(ref.name)} to ${describeSubject(subject, namespace)}`;
  };
  for (const binding of source.clusterRoleBindings()) {
    const reason = visit(binding, "");
    if (reason) return { allowed: true, reason };
  }
  const namespace = attrs.kind === "resource" ? attrs.namespace : "";
  if (namespace !== "") {
    for (const binding of source.roleBindings(namespace)) {
      const reason = visit(binding, namespace);
      if (reason) return { allowed: true, reason };
    }
  }
  const reason =
    errors.length === 0 ? "" : `RBAC: ${errors.length === 1 ? errors[0] : `[${errors.join(", ")}]`}`;
  return { allowed: false, reason };
}

/**
 * Every rule that applies to the user in `namespace` (cluster bindings, then that namespace's bindings), as
 * kube's RulesFor does for SelfSubjectRulesReview; `incomplete` when a binding's role is missing. Like kube,
 * `system:masters` shows what its bindings (cluster-admin) grant, not the privileged-group shortcut.
 */
export function rulesFor(
  source: RbacSource,
  user: UserInfo,
  namespace: string,
): { rules: PolicyRule[]; incomplete: boolean; errors: string[] } {
  const rules: PolicyRule[] = [];
  const errors: string[] = [];
  const collect = (binding: Binding, bindingNamespace: string) => {
    if (!(binding.subjects ?? []).some((s) => appliesTo(user, s, bindingNamespace))) return;
    const ref = binding.roleRef;
    const role =
      ref.kind === "ClusterRole"
        ? source.clusterRole(ref.name)
        : ref.kind === "Role" && bindingNamespace !== ""
          ? source.role(bindingNamespace, ref.name)
          : undefined;
    if (!role)
      errors.push(
        `${ref.kind.toLowerCase()}.rbac.authorization.k8s.io ${JSON.stringify(ref.name)} not found`,
      );
    else rules.push(...(role.rules ?? []));
  };
  for (const binding of source.clusterRoleBindings()) collect(binding, "");
  if (namespace !== "") for (const binding of source.roleBindings(namespace)) collect(binding, namespace);
  return { rules, incomplete: errors.length > 0, errors };
}
