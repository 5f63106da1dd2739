/**
 * The built-in resources of a Kubernetes 1.32 cluster as discovery lists them (`kubectl api-resources`):
 * group, version, plural, singular, kind, scope, short names and categories. The API test server stores
 * only a few of them (builtin.ts, crd.ts and the RBAC/ServiceAccount kinds); the rest are served
 * discovery-only so that kubectl resolves names exactly as on a real cluster — `kubectl get cs` means
 * componentstatuses, never a custom resource whose short name collides — and so a CRD whose names clash
 * with a built-in fails a test (builtin-discovery.test.ts) instead of misleading its users (ADR 0015).
 *
 * Discovery-only kinds list (and watch) as empty and answer every write with 405 MethodNotAllowed.
 * Create-only review kinds (SubjectAccessReview, TokenReview, …) and events.k8s.io/v1 events (a second view
 * of core events) are not listed: a discovery-only stand-in would be wrong for them.
 */
import { methodNotAllowed } from "./errors.js";
import { apiVersionOf, type ResourceType } from "./types.js";

export interface BuiltinResource {
  group: string;
  version: string;
  plural: string;
  singular: string;
  kind: string;
  namespaced: boolean;
  shortNames?: string[];
  categories?: string[];
}

const core = (
  plural: string,
  kind: string,
  namespaced: boolean,
  shortNames?: string[],
  categories?: string[],
): BuiltinResource => ({
  group: "",
  version: "v1",
  plural,
  singular: kind.toLowerCase(),
  kind,
  namespaced,
  ...(shortNames ? { shortNames } : {}),
  ...(categories ? { categories } : {}),
});

const of =
  (group: string, version: string) =>
  (
    plural: string,
    kind: string,
    namespaced: boolean,
    shortNames?: string[],
    categories?: string[],
  ): BuiltinResource => ({ ...core(plural, kind, namespaced, shortNames, categories), group, version });

const ALL = ["all"];
const apps = of("apps", "v1");
const admission = of("admissionregistration.k8s.io", "v1");
const batch = of("batch", "v1");
const networking = of("networking.k8s.io", "v1");
const rbac = of("rbac.authorization.k8s.io", "v1");
const storage = of("storage.k8s.io", "v1");

/** Kubernetes 1.32's built-in resources (GA versions), by group. */
export const BUILTIN_RESOURCES: readonly BuiltinResource[] = [
  core("componentstatuses", "ComponentStatus", false, ["cs"]),
  core("configmaps", "ConfigMap", true, ["cm"]),
  core("endpoints", "Endpoints", true, ["ep"]),
  core("events", "Event", true, ["ev"]),
  core("limitranges", "LimitRange", true, ["limits"]),
  core("namespaces", "Namespace", false, ["ns"]),
  core("nodes", "Node", false, ["no"]),
  core("persistentvolumeclaims", "PersistentVolumeClaim", true, ["pvc"]),
  core("persistentvolumes", "PersistentVolume", false, ["pv"]),
  core("pods", "Pod", true, ["po"], ALL),
  core("podtemplates", "PodTemplate", true),
  core("replicationcontrollers", "ReplicationController", true, ["rc"], ALL),
  core("resourcequotas", "ResourceQuota", true, ["quota"]),
  core("secrets", "Secret", true),
  core("serviceaccounts", "ServiceAccount", true, ["sa"]),
  core("services", "Service", true, ["svc"], ALL),
  admission("mutatingwebhookconfigurations", "MutatingWebhookConfiguration", false, undefined, [
    "api-extensions",
  ]),
  admission("validatingadmissionpolicies", "ValidatingAdmissionPolicy", false, undefined, ["api-extensions"]),
  admission("validatingadmissionpolicybindings", "ValidatingAdmissionPolicyBinding", false, undefined, [
    "api-extensions",
  ]),
  admission("validatingwebhookconfigurations", "ValidatingWebhookConfiguration", false, undefined, [
    "api-extensions",
  ]),
  of("apiextensions.k8s.io", "v1")(
    "customresourcedefinitions",
    "CustomResourceDefinition",
    false,
    ["crd", "crds"],
    ["api-extensions"],
  ),
  of("apiregistration.k8s.io", "v1")("apiservices", "APIService", false, undefined, ["api-extensions"]),
  apps("controllerrevisions", "ControllerRevision", true),
  apps("daemonsets", "DaemonSet", true, ["ds"], ALL),
  apps("deployments", "Deployment", true, ["deploy"], ALL),
  apps("replicasets", "ReplicaSet", true, ["rs"], ALL),
  apps("statefulsets", "StatefulSet", true, ["sts"], ALL),
  of("autoscaling", "v2")("horizontalpodautoscalers", "HorizontalPodAutoscaler", true, ["hpa"], ALL),
  batch("cronjobs", "CronJob", true, ["cj"], ALL),
  batch("jobs", "Job", true, undefined, ALL),
  of("certificates.k8s.io", "v1")("certificatesigningrequests", "CertificateSigningRequest", false, ["csr"]),
  of("coordination.k8s.io", "v1")("leases", "Lease", true),
  of("discovery.k8s.io", "v1")("endpointslices", "EndpointSlice", true),
  of("flowcontrol.apiserver.k8s.io", "v1")("flowschemas", "FlowSchema", false),
  of("flowcontrol.apiserver.k8s.io", "v1")(
    "prioritylevelconfigurations",
    "PriorityLevelConfiguration",
    false,
  ),
  networking("ingressclasses", "IngressClass", false),
  networking("ingresses", "Ingress", true, ["ing"]),
  networking("networkpolicies", "NetworkPolicy", true, ["netpol"]),
  of("node.k8s.io", "v1")("runtimeclasses", "RuntimeClass", false),
  of("policy", "v1")("poddisruptionbudgets", "PodDisruptionBudget", true, ["pdb"]),
  rbac("clusterrolebindings", "ClusterRoleBinding", false),
  rbac("clusterroles", "ClusterRole", false),
  rbac("rolebindings", "RoleBinding", true),
  rbac("roles", "Role", true),
  of("scheduling.k8s.io", "v1")("priorityclasses", "PriorityClass", false, ["pc"]),
  storage("csidrivers", "CSIDriver", false),
  storage("csinodes", "CSINode", false),
  storage("csistoragecapacities", "CSIStorageCapacity", true),
  storage("storageclasses", "StorageClass", false, ["sc"]),
  storage("volumeattachments", "VolumeAttachment", false),
];

/** Every name kubectl resolves for a built-in (plural, singular, short names), with what it resolves to. */
export function builtinNames(): Map<string, BuiltinResource> {
  const names = new Map<string, BuiltinResource>();
  for (const r of BUILTIN_RESOURCES) {
    for (const name of [r.plural, r.singular, ...(r.shortNames ?? [])]) names.set(name, r);
  }
  return names;
}

/** The discovery-only stand-ins: resource types no write reaches (see assertServed). */
const discoveryOnly = new WeakSet<ResourceType>();

/**
 * Resource types for the built-ins not in `served` (matched by group + plural). Register these BEFORE the
 * served types: the registry keeps the last type added for a (group, version, plural).
 */
export function discoveryOnlyResourceTypes(served: readonly ResourceType[]): ResourceType[] {
  const isServed = (r: BuiltinResource) => served.some((s) => s.group === r.group && s.plural === r.plural);
  return BUILTIN_RESOURCES.filter((r) => !isServed(r)).map((r) => {
    const rt: ResourceType = {
      group: r.group,
      version: r.version,
      plural: r.plural,
      singular: r.singular,
      kind: r.kind,
      listKind: `${r.kind}List`,
      namespaced: r.namespaced,
      shortNames: r.shortNames ?? [],
      categories: r.categories ?? [],
      storageKey: `${r.group}/${r.plural}`,
      hasStatusSubresource: false,
      tracksGeneration: false,
      printerColumns: [{ name: "Age", type: "date", jsonPath: ".metadata.creationTimestamp" }],
      selectableFields: {},
    };
    discoveryOnly.add(rt);
    return rt;
  });
}

/** Throws 405 for any write to a discovery-only kind (reads answer an empty cluster's answers). */
export function assertServed(rt: ResourceType, method: string): void {
  if (method === "GET" || !discoveryOnly.has(rt)) return;
  throw methodNotAllowed(
    `${method} ${rt.plural} (${apiVersionOf(rt)}): the Kubernetes API test server lists ${rt.kind} in discovery only ` +
      "(so kubectl resolves names as on a real cluster) and does not store it; see docs/kube-apiserver.md",
  );
}

/**
 * The names of a custom resource that kubectl would also resolve to a built-in (plural, singular or a short
 * name), as messages naming both; empty when none collide.
 */
export function builtinNameCollisions(names: {
  kind: string;
  plural: string;
  singular: string;
  shortNames?: string[];
}): string[] {
  const builtins = builtinNames();
  const messages: string[] = [];
  const candidates: [string, string][] = [
    ["plural", names.plural],
    ["singular", names.singular],
    ...(names.shortNames ?? []).map((s): [string, string] => ["short name", s]),
  ];
  for (const [what, name] of candidates) {
    const builtin = builtins.get(name);
    if (builtin) {
      messages.push(
        `${names.kind}: ${what} "${name}" is also the built-in ${builtin.plural}${builtin.group ? `.${builtin.group}` : ""} (${builtin.kind})`,
      );
    }
  }
  return messages;
}
