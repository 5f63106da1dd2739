/**
 * Least-privilege RBAC for the control plane (pure rule tables + builders). No wildcards anywhere, no pod
 * creation, no access to Secrets: the pods get their secrets from Secret Manager through the CSI driver,
 * not from the Kubernetes API. `assertLeastPrivilege` guards the tables (and is unit tested).
 */
import { API_GROUP } from "../../lib/domain.js";

export interface PolicyRule {
  apiGroups: string[];
  resources: string[];
  verbs: string[];
  resourceNames?: string[];
}

const READ = ["get", "list", "watch"];
const KINDS = ["licenses", "workstations", "containersessions"];

/** Cluster-wide: the operator reconciles every tenant namespace. */
export const OPERATOR_CLUSTER_RULES: PolicyRule[] = [
  { apiGroups: [API_GROUP], resources: KINDS, verbs: [...READ, "update", "patch"] },
  // Ended sessions are deleted after their 24-hour retention (operator/containersession/reconciler.ts).
  { apiGroups: [API_GROUP], resources: ["containersessions"], verbs: ["delete"] },
  { apiGroups: [API_GROUP], resources: KINDS.map((k) => `${k}/status`), verbs: ["get", "update", "patch"] },
  { apiGroups: [API_GROUP], resources: KINDS.map((k) => `${k}/finalizers`), verbs: ["update"] },
  { apiGroups: ["", "events.k8s.io"], resources: ["events"], verbs: ["create", "patch"] },
];

/** In its own namespace only: the leader-election lease. */
export const OPERATOR_NAMESPACE_RULES: PolicyRule[] = [
  { apiGroups: ["coordination.k8s.io"], resources: ["leases"], verbs: ["get", "create", "update"] },
];

/**
 * Billing projects licenses, creates workstations on purchase and sessions on validate, patches session
 * heartbeats through the status subresource, and creates the namespace of a new customer organization.
 */
export const BILLING_CLUSTER_RULES: PolicyRule[] = [
  {
    apiGroups: [API_GROUP],
    resources: ["licenses"],
    verbs: [...READ, "create", "update", "patch", "delete"],
  },
  { apiGroups: [API_GROUP], resources: ["workstations"], verbs: [...READ, "create", "patch"] },
  { apiGroups: [API_GROUP], resources: ["containersessions"], verbs: [...READ, "create", "patch", "delete"] },
  { apiGroups: [API_GROUP], resources: ["containersessions/status"], verbs: ["get", "update", "patch"] },
  { apiGroups: [""], resources: ["namespaces"], verbs: ["get", "list", "create"] },
];

/** Resources no control-plane role may touch through the Kubernetes API. */
const FORBIDDEN = [
  "secrets",
  "pods",
  "pods/exec",
  "serviceaccounts/token",
  "clusterroles",
  "clusterrolebindings",
];
const ESCALATING_VERBS = ["escalate", "bind", "impersonate"];

/** Throws naming the rule when a table grants a wildcard, an escalation verb or a forbidden resource. */
export function assertLeastPrivilege(rules: PolicyRule[], role: string): void {
  rules.forEach((rule, i) => {
    const where = `${role} rule ${i}`;
    for (const field of ["apiGroups", "resources", "verbs"] as const) {
      if (rule[field].some((v) => v.includes("*"))) throw new Error(`${where}: wildcard in ${field}`);
    }
    const forbidden = rule.resources.filter((r) => FORBIDDEN.includes(r));
    if (forbidden.length > 0) throw new Error(`${where}: grants access to ${forbidden.join(", ")}`);
    const escalating = rule.verbs.filter((v) => ESCALATING_VERBS.includes(v));
    if (escalating.length > 0) throw new Error(`${where}: grants ${escalating.join(", ")}`);
  });
}
