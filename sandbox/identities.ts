/**
 * Who billing and the operator are in the sandbox's cluster: their own ServiceAccounts under the real RBAC
 * rules, as in production (ADR 0017). The operator's identity is its deployment manifest
 * (operator/deploy/rbac.yaml, applied as is); billing's is built from BILLING_CLUSTER_RULES, the table the
 * GKE stack applies. Pure: the objects to create, in order; kube-access.ts creates them.
 */
import { readFileSync } from "node:fs";
import { parseAllDocuments } from "yaml";
import {
  assertLeastPrivilege,
  BILLING_CLUSTER_RULES,
  OPERATOR_RBAC_FILE,
} from "../components/control-plane/rbac.js";

export interface KubeManifest {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string> };
  [key: string]: unknown;
}

/** A service's ServiceAccount; its token goes into `<data>/kube/<service>.kubeconfig`. */
export interface ServiceIdentity {
  service: "billing" | "operator";
  namespace: string;
  serviceAccount: string;
}

export const SERVICE_IDENTITIES: readonly ServiceIdentity[] = [
  { service: "billing", namespace: "coditect-billing", serviceAccount: "billing" },
  { service: "operator", namespace: "coditect-operator", serviceAccount: "operator" },
];

const PART_OF = { "app.kubernetes.io/part-of": "coditect-control-plane" };

/** Billing's namespace, ServiceAccount, ClusterRole (BILLING_CLUSTER_RULES) and binding. */
export function billingManifests(): KubeManifest[] {
  assertLeastPrivilege(BILLING_CLUSTER_RULES, "coditect-billing");
  const labels = { "app.kubernetes.io/name": "coditect-billing", ...PART_OF };
  return [
    { apiVersion: "v1", kind: "Namespace", metadata: { name: "coditect-billing", labels: PART_OF } },
    {
      apiVersion: "v1",
      kind: "ServiceAccount",
      metadata: { name: "billing", namespace: "coditect-billing", labels },
    },
    {
      apiVersion: "rbac.authorization.k8s.io/v1",
      kind: "ClusterRole",
      metadata: { name: "coditect-billing", labels },
      rules: BILLING_CLUSTER_RULES,
    },
    {
      apiVersion: "rbac.authorization.k8s.io/v1",
      kind: "ClusterRoleBinding",
      metadata: { name: "coditect-billing", labels },
      roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name: "coditect-billing" },
      subjects: [{ kind: "ServiceAccount", name: "billing", namespace: "coditect-billing" }],
    },
  ];
}

/** The operator's deployment manifest, every document as written. */
export function operatorManifests(file: string = OPERATOR_RBAC_FILE): KubeManifest[] {
  return parseAllDocuments(readFileSync(file, "utf8"))
    .map((doc) => doc.toJSON() as KubeManifest | null)
    .filter((doc): doc is KubeManifest => doc !== null);
}

/** Everything to create, namespaces first so the namespaced objects find theirs. */
export function identityManifests(): KubeManifest[] {
  const all = [...operatorManifests(), ...billingManifests()];
  return [...all.filter((m) => m.kind === "Namespace"), ...all.filter((m) => m.kind !== "Namespace")];
}
