/** Finds the pod spec and containers inside any workload kind, for the workload rules. */
import { kubernetesKind } from "./manifests.js";

export interface Container {
  name?: string;
  image?: string;
  securityContext?: {
    runAsNonRoot?: boolean;
    runAsUser?: number;
    readOnlyRootFilesystem?: boolean;
    allowPrivilegeEscalation?: boolean;
    privileged?: boolean;
  };
  resources?: { limits?: Record<string, unknown>; requests?: Record<string, unknown> };
}

export interface PodSpec {
  securityContext?: { runAsNonRoot?: boolean; runAsUser?: number };
  containers?: Container[];
  initContainers?: Container[];
  ephemeralContainers?: Container[];
}

type Spec = { template?: { spec?: PodSpec }; jobTemplate?: { spec?: { template?: { spec?: PodSpec } } } };

const TEMPLATE_KINDS = [
  "Deployment",
  "StatefulSet",
  "DaemonSet",
  "ReplicaSet",
  "Job",
  "ReplicationController",
];

/** True for every `kubernetes:*` type that carries a pod spec. */
export function isWorkloadType(type: string): boolean {
  const kind = kubernetesKind(type)?.kind;
  return kind === "Pod" || kind === "CronJob" || (kind !== undefined && TEMPLATE_KINDS.includes(kind));
}

/** The pod spec of a workload manifest's inputs (undefined when the manifest has none yet). */
export function podSpecOf(type: string, props: Record<string, unknown>): PodSpec | undefined {
  const kind = kubernetesKind(type)?.kind;
  const spec = props.spec as (Spec & PodSpec) | undefined;
  if (kind === "Pod") return spec;
  if (kind === "CronJob") return spec?.jobTemplate?.spec?.template?.spec;
  return spec?.template?.spec;
}

/** Every container of the pod, each with a label like `containers[app]` for messages. */
export function containersOf(pod: PodSpec): { label: string; container: Container }[] {
  const lists: [string, Container[] | undefined][] = [
    ["containers", pod.containers],
    ["initContainers", pod.initContainers],
    ["ephemeralContainers", pod.ephemeralContainers],
  ];
  return lists.flatMap(([field, list]) =>
    (list ?? []).map((container, index) => ({ label: `${field}[${container.name ?? index}]`, container })),
  );
}
