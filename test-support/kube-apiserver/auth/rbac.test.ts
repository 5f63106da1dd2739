import { describe, expect, it } from "vitest";
import type { RequestAttributes } from "./attributes.js";
import { authorize, type Binding, type PolicyRule, type RbacSource, type Role, rulesFor } from "./rbac.js";
import { adminUser, serviceAccountUser, type UserInfo } from "./user.js";

const operator = serviceAccountUser("coditect-system", "operator", "uid-1");
const billing = serviceAccountUser("coditect-system", "billing", "uid-2");
const alice: UserInfo = { name: "alice", groups: ["devs", "system:authenticated"] };

function source(state: {
  clusterRoles?: Record<string, PolicyRule[]>;
  roles?: Record<string, PolicyRule[]>; // "<ns>/<name>"
  clusterRoleBindings?: Binding[];
  roleBindings?: Binding[];
}): RbacSource {
  return {
    clusterRoleBindings: () => state.clusterRoleBindings ?? [],
    roleBindings: (ns) => (state.roleBindings ?? []).filter((b) => b.metadata.namespace === ns),
    clusterRole: (name): Role | undefined =>
      state.clusterRoles?.[name] ? { rules: state.clusterRoles[name] } : undefined,
    role: (ns, name): Role | undefined =>
      state.roles?.[`${ns}/${name}`] ? { rules: state.roles[`${ns}/${name}`] } : undefined,
  };
}

const res = (
  verb: string,
  resource: string,
  o: { group?: string; ns?: string; name?: string; sub?: string } = {},
): RequestAttributes => ({
  kind: "resource",
  verb,
  apiGroup: o.group ?? "coditect.ai",
  apiVersion: "v1",
  resource,
  subresource: o.sub ?? "",
  namespace: o.ns ?? "",
  name: o.name ?? "",
});

const sa = (name: string, namespace?: string) => ({
  kind: "ServiceAccount",
  name,
  ...(namespace ? { namespace } : {}),
});
const rb = (
  ns: string,
  name: string,
  roleKind: string,
  role: string,
  subjects: Binding["subjects"],
): Binding => ({
  metadata: { name, namespace: ns },
  roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: roleKind, name: role },
  subjects,
});
const crb = (name: string, role: string, subjects: Binding["subjects"]): Binding => ({
  metadata: { name },
  roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name: role },
  subjects,
});

const wsStatus: PolicyRule = {
  apiGroups: ["coditect.ai"],
  resources: ["workstations/status"],
  verbs: ["patch", "update"],
};
const wsRead: PolicyRule = {
  apiGroups: ["coditect.ai"],
  resources: ["workstations"],
  verbs: ["get", "list", "watch"],
};
const health: PolicyRule = { nonResourceURLs: ["/healthz", "/apis/*"], verbs: ["get"] };
const named: PolicyRule = {
  apiGroups: [""],
  resources: ["secrets"],
  resourceNames: ["signing-key"],
  verbs: ["*"],
};

const world = source({
  clusterRoles: {
    "ws-status": [wsStatus],
    "ws-read": [wsRead],
    anything: [{ apiGroups: ["*"], resources: ["*"], verbs: ["*"] }],
    "all-status": [{ apiGroups: ["coditect.ai"], resources: ["*/status"], verbs: ["get"] }],
    health: [health],
  },
  roles: { "acme/secret-reader": [named] },
  clusterRoleBindings: [
    crb("operator-reads", "ws-read", [sa("operator", "coditect-system")]),
    crb("devs-status", "all-status", [{ kind: "Group", name: "devs" }]),
    crb("health", "health", [{ kind: "Group", name: "system:authenticated" }]),
    crb("broken", "no-such-role", [sa("operator", "coditect-system")]),
    // A ServiceAccount subject without namespace never matches in a cluster binding.
    crb("sa-without-ns", "anything", [sa("billing")]),
  ],
  roleBindings: [
    rb("acme", "operator-status", "ClusterRole", "ws-status", [sa("operator", "coditect-system")]),
    rb("acme", "billing-secret", "Role", "secret-reader", [sa("billing", "coditect-system")]),
    rb("acme", "local-sa", "ClusterRole", "anything", [sa("billing")]),
    rb("acme", "alice-user", "ClusterRole", "ws-status", [{ kind: "User", name: "alice" }]),
  ],
});

describe("authorize (kube RBAC semantics)", () => {
  it.each([
    [
      "ClusterRole via RoleBinding: status patch in its namespace",
      operator,
      res("patch", "workstations", { ns: "acme", name: "w", sub: "status" }),
      true,
    ],
    [
      "…but not in another namespace",
      operator,
      res("patch", "workstations", { ns: "globex", name: "w", sub: "status" }),
      false,
    ],
    ["…and not the main resource", operator, res("patch", "workstations", { ns: "acme", name: "w" }), false],
    ["ClusterRoleBinding: cluster-wide list", operator, res("list", "workstations"), true],
    ["ClusterRoleBinding: cluster-wide watch", operator, res("watch", "workstations"), true],
    [
      "ClusterRoleBinding grants in every namespace",
      operator,
      res("get", "workstations", { ns: "globex", name: "w" }),
      true,
    ],
    [
      "a rule for the resource does not cover its subresources",
      operator,
      res("get", "workstations", { ns: "globex", name: "w", sub: "status" }),
      false,
    ],
    ["verb not granted", operator, res("delete", "workstations", { ns: "acme", name: "w" }), false],
    ["wrong API group", operator, res("list", "workstations", { group: "other.io" }), false],
    [
      "*/status matches any status subresource",
      alice,
      res("get", "licenses", { ns: "x", name: "l", sub: "status" }),
      true,
    ],
    [
      "*/status does not match the resource itself",
      alice,
      res("get", "licenses", { ns: "x", name: "l" }),
      false,
    ],
    ["User subject", alice, res("update", "workstations", { ns: "acme", name: "w", sub: "status" }), true],
    [
      "resourceNames: the named object",
      billing,
      res("get", "secrets", { group: "", ns: "acme", name: "signing-key" }),
      true,
    ],
    [
      "resourceNames: another object",
      billing,
      res("get", "secrets", { group: "", ns: "acme", name: "other" }),
      false,
    ],
    [
      "resourceNames never match a collection list",
      billing,
      res("list", "secrets", { group: "", ns: "acme" }),
      false,
    ],
    [
      "resourceNames match a list narrowed to that name",
      billing,
      res("list", "secrets", { group: "", ns: "acme", name: "signing-key" }),
      true,
    ],
    ["resourceNames never match create", billing, res("create", "secrets", { group: "", ns: "acme" }), false],
    [
      "resourceNames never match deletecollection",
      billing,
      res("deletecollection", "secrets", { group: "", ns: "acme" }),
      false,
    ],
    [
      "SA subject without namespace = the RoleBinding's namespace (not this SA's)",
      billing,
      res("get", "licenses", { ns: "acme", name: "l" }),
      false,
    ],
    [
      "namespaced grant does not allow cluster-wide list",
      billing,
      res("list", "secrets", { group: "" }),
      false,
    ],
    [
      "non-resource URL exact",
      alice,
      { kind: "nonResource", verb: "get", path: "/healthz" } as RequestAttributes,
      true,
    ],
    [
      "non-resource URL prefix *",
      alice,
      { kind: "nonResource", verb: "get", path: "/apis/coditect.ai" } as RequestAttributes,
      true,
    ],
    [
      "non-resource URL not granted",
      alice,
      { kind: "nonResource", verb: "get", path: "/metrics" } as RequestAttributes,
      false,
    ],
    [
      "system:masters is allowed everything",
      adminUser(),
      res("delete", "namespaces", { group: "", name: "x" }),
      true,
    ],
  ] as [string, UserInfo, RequestAttributes, boolean][])("%s", (_, user, attrs, allowed) => {
    expect(authorize(world, user, attrs).allowed).toBe(allowed);
  });

  it("says which binding allowed a request, as kube's reason does", () => {
    expect(
      authorize(world, operator, res("patch", "workstations", { ns: "acme", name: "w", sub: "status" }))
        .reason,
    ).toBe(
      'RBAC: allowed by RoleBinding "operator-status/acme" of ClusterRole "ws-status" to ServiceAccount "operator/coditect-system"',
    );
    expect(authorize(world, operator, res("list", "workstations")).reason).toBe(
      'RBAC: allowed by ClusterRoleBinding "operator-reads" of ClusterRole "ws-read" to ServiceAccount "operator/coditect-system"',
    );
  });

  it("reports bindings to missing roles in the denial reason", () => {
    expect(authorize(world, operator, res("delete", "workstations", { ns: "acme", name: "w" }))).toEqual({
      allowed: false,
      reason: 'RBAC: clusterrole.rbac.authorization.k8s.io "no-such-role" not found',
    });
    expect(authorize(world, alice, res("delete", "workstations", { ns: "acme", name: "w" }))).toEqual({
      allowed: false,
      reason: "",
    });
  });

  it("a RoleBinding to a Role looks the Role up in the binding's namespace", () => {
    const other = source({
      roles: { "acme/r": [wsRead] },
      roleBindings: [rb("globex", "b", "Role", "r", [{ kind: "User", name: "alice" }])],
    });
    expect(authorize(other, alice, res("get", "workstations", { ns: "globex", name: "w" }))).toEqual({
      allowed: false,
      reason: 'RBAC: role.rbac.authorization.k8s.io "r" not found',
    });
  });

  it("lists the rules that apply in a namespace (SelfSubjectRulesReview), flagging missing roles", () => {
    expect(rulesFor(world, operator, "acme")).toEqual({
      rules: [wsRead, health, wsStatus],
      incomplete: true,
      errors: ['clusterrole.rbac.authorization.k8s.io "no-such-role" not found'],
    });
    expect(rulesFor(world, billing, "acme").rules).toEqual([health, named]);
    expect(rulesFor(world, billing, "globex").rules).toEqual([health]);
  });
});
