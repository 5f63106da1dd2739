/**
 * Least-privilege RBAC for the control plane. No wildcards anywhere, no pod creation, no access to
 * Secrets: the pods get their secrets from Secret Manager through the CSI driver, not from the Kubernetes
 * API. `assertLeastPrivilege` guards every rule set (and is unit tested).
 *
 * The operator's rules are owned by the operator (operator/deploy/rbac.yaml, tested there); the stack
 * applies exactly those rules, so there is one definition. Billing's rules live here.
 */
import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { parseAllDocuments } from "yaml";
import { API_GROUP } from "../../lib/domain.js";

export interface PolicyRule {
  apiGroups: string[];
  resources: string[];
  verbs: string[];
  resourceNames?: string[];
}

/** The operator's own RBAC manifest. */
export const OPERATOR_RBAC_FILE = path.resolve(
  path.dirname(fileURLToPath(import.meta.url)),
  "../../operator/deploy/rbac.yaml",
);

export interface OperatorRules {
  /** Cluster-wide rules (the operator reconciles every tenant namespace). */
  cluster: PolicyRule[];
  /** Rules in its own namespace (the leader-election lease). */
  namespace: PolicyRule[];
}

/** Extracts the ClusterRole and Role rules from the operator's multi-document RBAC manifest (pure). */
export function operatorRulesFromManifest(text: string, source: string): OperatorRules {
  const docs = parseAllDocuments(text).map(
    (d) => d.toJSON() as { kind?: string; rules?: PolicyRule[] } | null,
  );
  const rulesOf = (kind: string) => {
    const found = docs.filter((d) => d?.kind === kind);
    if (found.length !== 1 || !Array.isArray(found[0]!.rules) || found[0]!.rules.length === 0) {
      throw new Error(`${source} must contain exactly one ${kind} with rules (found ${found.length})`);
    }
    return found[0]!.rules;
  };
  return { cluster: rulesOf("ClusterRole"), namespace: rulesOf("Role") };
}

/** Reads operator/deploy/rbac.yaml (or `file`); a missing file is a clear error. */
export function loadOperatorRules(file: string = OPERATOR_RBAC_FILE): OperatorRules {
  if (!existsSync(file)) {
    throw new Error(`the operator's RBAC manifest ${file} is missing: the control plane applies its rules`);
  }
  return operatorRulesFromManifest(readFileSync(file, "utf8"), file);
}

/**
 * Exactly what billing's code calls (issue 13 L6), and nothing it does not: billing never watches (it
 * lists), never patches a License (it replaces it), patches a Workstation's spec.user/desiredState only
 * (the assignment, issue 16; it creates the ones a purchase adds and deletes removed ones; the operator owns
 * the rest), writes ContainerSession status only by merge patch, and only reads and creates
 * namespaces. Each verb names its caller; the rehearsal records every 403 (deniedRequests) to prove nothing
 * is missing, and the policy rule `k8s-rbac-role-within-granted-access` keeps the rendered ClusterRole
 * within this list.
 */
export const BILLING_CLUSTER_RULES: PolicyRule[] = [
  // cluster/feed.ts: get + create/update (upsert), delete (purge), list (resync, ping, repair)
  { apiGroups: [API_GROUP], resources: ["licenses"], verbs: ["get", "list", "create", "update", "delete"] },
  // cluster/feed.ts: get + create (workstations a purchase adds), patch (spec.user/desiredState follow the
  // assignment, issue 16), delete (a workstation removed from the subscription, past its delete_after);
  // sessions/cluster.ts + repair.ts + accounts/workstations: list
  {
    apiGroups: [API_GROUP],
    resources: ["workstations"],
    verbs: ["get", "list", "create", "patch", "delete"],
  },
  // sessions/cluster.ts: create (validate), patch (audit annotation), delete (rolled-back admission); repair: list
  { apiGroups: [API_GROUP], resources: ["containersessions"], verbs: ["list", "create", "patch", "delete"] },
  // sessions/cluster.ts, repair.ts: merge-patch the status (heartbeats, ends)
  { apiGroups: [API_GROUP], resources: ["containersessions/status"], verbs: ["patch"] },
  // cluster/feed.ts: read, create the namespace of a new organization
  { apiGroups: [""], resources: ["namespaces"], verbs: ["get", "create"] },
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
