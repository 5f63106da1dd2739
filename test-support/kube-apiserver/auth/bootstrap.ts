/**
 * The RBAC objects every kube-apiserver creates at start (a subset of its bootstrap policy,
 * plugin/pkg/auth/authorizer/rbac/bootstrappolicy): cluster-admin for system:masters, discovery and
 * self-reviews for every authenticated user, health/version for everyone. Nothing else is pre-granted, so a
 * ServiceAccount can do only what applied Roles and bindings give it — as on a real cluster.
 */
import type { KubeObject } from "../types.js";

const RBAC = "rbac.authorization.k8s.io/v1";
const meta = (name: string) => ({
  name,
  labels: { "kubernetes.io/bootstrapping": "rbac-defaults" },
  annotations: { "rbac.authorization.kubernetes.io/autoupdate": "true" },
});

function clusterRole(name: string, rules: Record<string, unknown>[]): KubeObject {
  return { apiVersion: RBAC, kind: "ClusterRole", metadata: meta(name), rules };
}

function binding(name: string, groups: string[]): KubeObject {
  return {
    apiVersion: RBAC,
    kind: "ClusterRoleBinding",
    metadata: meta(name),
    roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name },
    subjects: groups.map((group) => ({ apiGroup: "rbac.authorization.k8s.io", kind: "Group", name: group })),
  };
}

export function bootstrapClusterRoles(): KubeObject[] {
  return [
    clusterRole("cluster-admin", [
      { apiGroups: ["*"], resources: ["*"], verbs: ["*"] },
      { nonResourceURLs: ["*"], verbs: ["*"] },
    ]),
    clusterRole("system:discovery", [
      {
        nonResourceURLs: [
          "/api",
          "/api/*",
          "/apis",
          "/apis/*",
          "/healthz",
          "/livez",
          "/openapi",
          "/openapi/*",
          "/readyz",
          "/version",
          "/version/",
        ],
        verbs: ["get"],
      },
    ]),
    clusterRole("system:basic-user", [
      {
        apiGroups: ["authorization.k8s.io"],
        resources: ["selfsubjectaccessreviews", "selfsubjectrulesreviews"],
        verbs: ["create"],
      },
      { apiGroups: ["authentication.k8s.io"], resources: ["selfsubjectreviews"], verbs: ["create"] },
    ]),
    clusterRole("system:public-info-viewer", [
      { nonResourceURLs: ["/healthz", "/livez", "/readyz", "/version", "/version/"], verbs: ["get"] },
    ]),
  ];
}

export function bootstrapClusterRoleBindings(): KubeObject[] {
  return [
    binding("cluster-admin", ["system:masters"]),
    binding("system:discovery", ["system:authenticated"]),
    binding("system:basic-user", ["system:authenticated"]),
    binding("system:public-info-viewer", ["system:authenticated", "system:unauthenticated"]),
  ];
}
