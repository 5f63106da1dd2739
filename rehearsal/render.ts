/**
 * Render: turns the resources the Pulumi program registers (the offline plan document) into the plain
 * Kubernetes manifests `pulumi up` would send, grouped by what the rehearsal does with them, plus the
 * container env each WorkstationConfig gives the licensed image. Pure: no I/O.
 *
 * A value the plan could not resolve (a preview unknown) or a secret the program put into a manifest would
 * make the rehearsal run something other than what is deployed, so both are refused here, naming the path.
 */
import type { PlanDocument, PlanResource } from "../stacks/plan/format.js";
import { SECRET_MASK, UNKNOWN_MARK } from "../stacks/plan/format.js";

export interface KubeManifest {
  apiVersion: string;
  kind: string;
  metadata: {
    name: string;
    namespace?: string;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
  };
  [key: string]: unknown;
}

export interface EnvVar {
  name: string;
  value?: string;
  valueFrom?: { fieldRef?: { fieldPath: string }; secretKeyRef?: unknown; configMapKeyRef?: unknown };
}

export interface HttpProbe {
  httpGet: { path: string; port: number | string };
  periodSeconds?: number;
  failureThreshold?: number;
}

export interface Container {
  name: string;
  image: string;
  command?: string[];
  args?: string[];
  env?: EnvVar[];
  ports?: { containerPort: number; name?: string }[];
  volumeMounts?: { name: string; mountPath: string; readOnly?: boolean; subPath?: string }[];
  livenessProbe?: HttpProbe;
  readinessProbe?: HttpProbe;
  securityContext?: { runAsUser?: number; runAsGroup?: number; readOnlyRootFilesystem?: boolean };
}

export interface Volume {
  name: string;
  emptyDir?: { medium?: string; sizeLimit?: string };
  configMap?: { name: string; items?: { key: string; path: string }[] };
  csi?: { driver: string; volumeAttributes?: Record<string, string> };
  secret?: { secretName: string };
  projected?: unknown;
}

export interface PodSpec {
  serviceAccountName?: string;
  automountServiceAccountToken?: boolean;
  securityContext?: { runAsUser?: number; runAsGroup?: number; fsGroup?: number };
  /** Run to completion, in order, before `containers` (billing's migration step, ADR 0166). */
  initContainers?: Container[];
  containers: Container[];
  volumes?: Volume[];
}

export interface Deployment extends KubeManifest {
  spec: { template: { spec: PodSpec } };
}

/** The manifests of one stack, by the role they play in the rehearsal. */
export interface RenderedStack {
  stack: string;
  crds: KubeManifest[];
  namespaces: KubeManifest[];
  serviceAccounts: KubeManifest[];
  /** Roles, ClusterRoles, RoleBindings, ClusterRoleBindings. */
  rbac: KubeManifest[];
  configMaps: KubeManifest[];
  secretProviderClasses: KubeManifest[];
  deployments: Deployment[];
  services: KubeManifest[];
  ingresses: KubeManifest[];
  /** Everything else the program declares for the cluster (NetworkPolicies, PDBs, HPA, …): not run here. */
  other: KubeManifest[];
  /** `workstationConfigId` → the container env the WorkstationConfig sets. */
  workstationEnv: Record<string, Record<string, string>>;
}

export class RenderError extends Error {}

function checkResolved(value: unknown, where: string): void {
  if (value === UNKNOWN_MARK) {
    throw new RenderError(
      `${where} is not known offline (a preview unknown): the rehearsal needs a resolved value`,
    );
  }
  if (value === SECRET_MASK) {
    throw new RenderError(
      `${where} is a secret in the manifest itself: secrets belong in Secret Manager mounts`,
    );
  }
  if (Array.isArray(value)) {
    for (const [i, v] of value.entries()) checkResolved(v, `${where}[${i}]`);
  } else if (value && typeof value === "object") {
    for (const [k, v] of Object.entries(value)) checkResolved(v, `${where}.${k}`);
  }
}

const GROUPS: [RegExp, keyof Omit<RenderedStack, "stack" | "workstationEnv">][] = [
  [/^CustomResourceDefinition$/, "crds"],
  [/^Namespace$/, "namespaces"],
  [/^ServiceAccount$/, "serviceAccounts"],
  [/^(Cluster)?Role(Binding)?$/, "rbac"],
  [/^ConfigMap$/, "configMaps"],
  [/^SecretProviderClass$/, "secretProviderClasses"],
  [/^Deployment$/, "deployments"],
  [/^Service$/, "services"],
  [/^Ingress$/, "ingresses"],
];

function manifestOf(r: PlanResource): KubeManifest {
  const m = r.inputs as unknown as KubeManifest;
  if (typeof m.apiVersion !== "string" || typeof m.kind !== "string" || !m.metadata?.name) {
    throw new RenderError(`${r.type} "${r.name}" has no apiVersion/kind/metadata.name in its inputs`);
  }
  checkResolved(m, `${m.kind} ${m.metadata.namespace ? `${m.metadata.namespace}/` : ""}${m.metadata.name}`);
  return structuredClone(m);
}

function workstationEnvOf(r: PlanResource): [string, Record<string, string>] {
  const inputs = r.inputs as { workstationConfigId?: string; container?: { env?: Record<string, string> } };
  const id = inputs.workstationConfigId ?? r.name;
  const env = inputs.container?.env ?? {};
  checkResolved(env, `WorkstationConfig ${id} container.env`);
  return [id, { ...env }];
}

export function renderStack(doc: PlanDocument): RenderedStack {
  const out: RenderedStack = {
    stack: doc.stack,
    crds: [],
    namespaces: [],
    serviceAccounts: [],
    rbac: [],
    configMaps: [],
    secretProviderClasses: [],
    deployments: [],
    services: [],
    ingresses: [],
    other: [],
    workstationEnv: {},
  };
  for (const r of doc.resources) {
    if (r.type === "gcp:workstations/workstationConfig:WorkstationConfig") {
      const [id, env] = workstationEnvOf(r);
      out.workstationEnv[id] = env;
      continue;
    }
    if (!r.type.startsWith("kubernetes:") || r.type.startsWith("pulumi:providers:")) continue;
    if (r.type.startsWith("kubernetes:yaml") || r.type.startsWith("kubernetes:helm")) continue;
    const manifest = manifestOf(r);
    const group = GROUPS.find(([re]) => re.test(manifest.kind))?.[1] ?? "other";
    (out[group] as KubeManifest[]).push(manifest);
  }
  if (out.deployments.length === 0) throw new RenderError(`stack "${doc.stack}" declares no Deployment`);
  return out;
}

/** The Deployment whose metadata.name is `name`; throws with the names there are. */
export function deploymentNamed(rendered: RenderedStack, name: string): Deployment {
  const found = rendered.deployments.find((d) => d.metadata.name === name);
  if (!found) {
    throw new RenderError(
      `no Deployment "${name}" rendered (have: ${rendered.deployments.map((d) => d.metadata.name).join(", ")})`,
    );
  }
  return found;
}

/** The one named manifest of a kind in a group; throws naming what is missing. */
export function manifestNamed(
  list: KubeManifest[],
  kind: string,
  name: string,
  namespace?: string,
): KubeManifest {
  const found = list.find(
    (m) =>
      m.kind === kind &&
      m.metadata.name === name &&
      (namespace === undefined || m.metadata.namespace === namespace),
  );
  if (!found) throw new RenderError(`no ${kind} "${namespace ? `${namespace}/` : ""}${name}" rendered`);
  return found;
}

/** The file names a SecretProviderClass (GKE Secret Manager provider) declares in its mount. */
export function secretProviderPaths(spc: KubeManifest): { resourceName: string; path: string }[] {
  const params = (spc.spec as { parameters?: { secrets?: string } } | undefined)?.parameters?.secrets;
  if (typeof params !== "string") {
    throw new RenderError(`SecretProviderClass ${spc.metadata.name} has no spec.parameters.secrets`);
  }
  const entries: { resourceName: string; path: string }[] = [];
  // The GKE provider's format: a YAML list of {resourceName, path}; parsed line by line (no other keys).
  let current: Partial<{ resourceName: string; path: string }> = {};
  for (const line of params.split("\n")) {
    const m = line.match(/^\s*-?\s*(resourceName|path|fileName):\s*"?([^"]*)"?\s*$/);
    if (!m) continue;
    if (line.trimStart().startsWith("-") && (current.resourceName || current.path)) {
      entries.push(current as { resourceName: string; path: string });
      current = {};
    }
    const key = m[1] === "fileName" ? "path" : (m[1] as "resourceName" | "path");
    current[key] = m[2]!;
  }
  if (current.resourceName || current.path) entries.push(current as { resourceName: string; path: string });
  for (const e of entries) {
    if (!e.path || !e.resourceName) {
      throw new RenderError(`SecretProviderClass ${spc.metadata.name}: an entry lacks path or resourceName`);
    }
  }
  return entries;
}
