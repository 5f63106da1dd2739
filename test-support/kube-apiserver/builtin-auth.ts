/**
 * Built-in kinds for authentication and authorization: ServiceAccounts (core/v1), Roles, ClusterRoles,
 * RoleBindings and ClusterRoleBindings (rbac.authorization.k8s.io/v1), and the create-only
 * SelfSubjectAccessReview and SelfSubjectRulesReview (authorization.k8s.io/v1, answered in
 * auth/endpoints.ts) so discovery lists them for `kubectl auth can-i`. Validation covers what kube rejects and our authorizer relies on: a roleRef
 * that names a Role/ClusterRole and never changes, subjects of a known kind with a name, rules with verbs.
 */
import type { Binding, PolicyRule, Subject } from "./auth/rbac.js";
import { builtinResourceType } from "./builtin.js";
import { type FieldError, fieldErrors } from "./errors.js";
import type { KubeObject, ObjectValidator, PrinterColumn, ResourceType } from "./types.js";

const RBAC_GROUP = "rbac.authorization.k8s.io";
const AGE: PrinterColumn = { name: "Age", type: "date", jsonPath: ".metadata.creationTimestamp" };
const CREATED_AT: PrinterColumn = {
  name: "Created At",
  type: "string",
  jsonPath: ".metadata.creationTimestamp",
};
const ROLE: PrinterColumn = {
  name: "Role",
  type: "string",
  jsonPath: ".roleRef",
  compute: (o) => {
    const ref = (o as unknown as Binding).roleRef;
    return ref ? `${ref.kind}/${ref.name}` : "";
  },
};

/** kube's ValidateRBACName (path.IsValidPathSegmentName): anything but ".", ".." and names with "/" or "%". */
function pathSegmentName(name: string): FieldError[] {
  if (name === "." || name === "..")
    return [fieldErrors.invalid("metadata.name", name, `may not be '${name}'`)];
  for (const bad of ["/", "%"]) {
    if (name.includes(bad)) return [fieldErrors.invalid("metadata.name", name, `may not contain '${bad}'`)];
  }
  return [];
}

const ok = (obj: KubeObject, errors: FieldError[]) => ({ object: obj, errors, unknownFields: [] });

function rulesErrors(rules: unknown): FieldError[] {
  if (rules === undefined || rules === null) return [];
  if (!Array.isArray(rules)) return [fieldErrors.invalid("rules", rules, "must be a list of PolicyRules")];
  const errors: FieldError[] = [];
  (rules as PolicyRule[]).forEach((rule, i) => {
    if ((rule.verbs ?? []).length === 0)
      errors.push(fieldErrors.required(`rules[${i}].verbs`, "verbs must contain at least one value"));
    const nonResource = (rule.nonResourceURLs ?? []).length > 0;
    if (nonResource && ((rule.resources ?? []).length > 0 || (rule.apiGroups ?? []).length > 0))
      errors.push(
        fieldErrors.invalid(
          `rules[${i}].nonResourceURLs`,
          rule.nonResourceURLs,
          "rules cannot apply to both regular resources and non-resource URLs",
        ),
      );
    if (!nonResource && (rule.resources ?? []).length === 0)
      errors.push(
        fieldErrors.required(`rules[${i}].resources`, "resource rules must supply at least one resource"),
      );
  });
  return errors;
}

function goRoleRef(ref: Binding["roleRef"] | undefined): string {
  return `rbac.RoleRef{APIGroup:${JSON.stringify(ref?.apiGroup ?? "")}, Kind:${JSON.stringify(ref?.kind ?? "")}, Name:${JSON.stringify(ref?.name ?? "")}}`;
}

function bindingValidator(roleKinds: string[], clusterScoped: boolean): ObjectValidator {
  return (obj, old) => {
    const binding = obj as unknown as Binding;
    const ref = binding.roleRef;
    const errors: FieldError[] = [];
    if (!ref || typeof ref !== "object") {
      errors.push(fieldErrors.required("roleRef.name"));
      return ok(obj, errors);
    }
    if (ref.apiGroup !== RBAC_GROUP)
      errors.push(fieldErrors.notSupported("roleRef.apiGroup", ref.apiGroup ?? "", [RBAC_GROUP]));
    if (!roleKinds.includes(ref.kind))
      errors.push(fieldErrors.notSupported("roleRef.kind", ref.kind ?? "", roleKinds));
    if (!ref.name) errors.push(fieldErrors.required("roleRef.name"));
    const oldRef = (old as unknown as Binding | undefined)?.roleRef;
    if (
      oldRef &&
      (oldRef.kind !== ref.kind || oldRef.name !== ref.name || oldRef.apiGroup !== ref.apiGroup)
    ) {
      errors.push({
        reason: "FieldValueInvalid",
        field: "roleRef",
        message: `Invalid value: ${goRoleRef(ref)}: cannot change roleRef`,
      });
    }
    (binding.subjects ?? []).forEach((s: Subject, i) => {
      if (!["ServiceAccount", "User", "Group"].includes(s.kind))
        errors.push(
          fieldErrors.notSupported(`subjects[${i}].kind`, s.kind ?? "", ["ServiceAccount", "User", "Group"]),
        );
      if (!s.name) errors.push(fieldErrors.required(`subjects[${i}].name`));
      if (s.kind === "ServiceAccount" && clusterScoped && !s.namespace)
        errors.push(fieldErrors.required(`subjects[${i}].namespace`));
    });
    return ok(obj, errors);
  };
}

const serviceaccounts = builtinResourceType({
  group: "",
  version: "v1",
  plural: "serviceaccounts",
  singular: "serviceaccount",
  kind: "ServiceAccount",
  namespaced: true,
  shortNames: ["sa"],
  printerColumns: [
    {
      name: "Secrets",
      type: "integer",
      jsonPath: ".secrets",
      compute: (o) => ((o.secrets as unknown[]) ?? []).length,
    },
    AGE,
  ],
});

const roles = builtinResourceType({
  group: RBAC_GROUP,
  version: "v1",
  plural: "roles",
  singular: "role",
  kind: "Role",
  validateName: pathSegmentName,
  namespaced: true,
  printerColumns: [CREATED_AT],
  validate: (obj) => ok(obj, rulesErrors(obj.rules)),
});

const clusterroles = builtinResourceType({
  group: RBAC_GROUP,
  version: "v1",
  plural: "clusterroles",
  singular: "clusterrole",
  kind: "ClusterRole",
  validateName: pathSegmentName,
  namespaced: false,
  printerColumns: [CREATED_AT],
  validate: (obj) => ok(obj, rulesErrors(obj.rules)),
});

const rolebindings = builtinResourceType({
  group: RBAC_GROUP,
  version: "v1",
  plural: "rolebindings",
  singular: "rolebinding",
  kind: "RoleBinding",
  validateName: pathSegmentName,
  namespaced: true,
  printerColumns: [ROLE, AGE],
  validate: bindingValidator(["Role", "ClusterRole"], false),
});

const clusterrolebindings = builtinResourceType({
  group: RBAC_GROUP,
  version: "v1",
  plural: "clusterrolebindings",
  singular: "clusterrolebinding",
  kind: "ClusterRoleBinding",
  validateName: pathSegmentName,
  namespaced: false,
  printerColumns: [ROLE, AGE],
  validate: bindingValidator(["ClusterRole"], true),
});

/** Served for discovery only; creates are answered by auth/endpoints.ts and never stored. */
export const selfSubjectAccessReviews = builtinResourceType({
  group: "authorization.k8s.io",
  version: "v1",
  plural: "selfsubjectaccessreviews",
  singular: "selfsubjectaccessreview",
  kind: "SelfSubjectAccessReview",
  namespaced: false,
});

/** Served for discovery only, like selfsubjectaccessreviews (`kubectl auth can-i --list`). */
const selfSubjectRulesReviews = builtinResourceType({
  group: "authorization.k8s.io",
  version: "v1",
  plural: "selfsubjectrulesreviews",
  singular: "selfsubjectrulesreview",
  kind: "SelfSubjectRulesReview",
  namespaced: false,
});

export function authResourceTypes(): ResourceType[] {
  return [
    serviceaccounts,
    roles,
    clusterroles,
    rolebindings,
    clusterrolebindings,
    selfSubjectAccessReviews,
    selfSubjectRulesReviews,
  ];
}

export const STORAGE_KEYS = {
  serviceAccounts: serviceaccounts.storageKey,
  roles: roles.storageKey,
  clusterRoles: clusterroles.storageKey,
  roleBindings: rolebindings.storageKey,
  clusterRoleBindings: clusterrolebindings.storageKey,
};
