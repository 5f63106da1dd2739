import { ruleCases } from "../../testing/rule-cases.js";
import { policy as imageDigest } from "./k8s-workload-image-digest.js";
import { policy as noEscalation } from "./k8s-workload-no-privilege-escalation.js";
import { policy as readOnlyRootFs } from "./k8s-workload-read-only-root-fs.js";
import { policy as limits } from "./k8s-workload-resource-limits.js";
import { policy as nonRoot } from "./k8s-workload-run-as-non-root.js";

const DEPLOY = "operator";
type Pod = {
  containers: {
    securityContext: Record<string, unknown>;
    resources: { limits: Record<string, unknown> };
    image: string;
  }[];
  initContainers: Pod["containers"];
  securityContext: Record<string, unknown>;
};
// biome-ignore lint/suspicious/noExplicitAny: reaching into fixture manifests.
const pod = (i: Record<string, any>): Pod => i.spec.template.spec;
// biome-ignore lint/suspicious/noExplicitAny: reaching into fixture manifests.
const cronPod = (i: Record<string, any>): Pod => i.spec.jobTemplate.spec.template.spec;
const operator = (i: Record<string, unknown>) => pod(i).containers[0]!;

ruleCases([
  {
    policy: nonRoot,
    breaks: [
      {
        title: "runAsNonRoot is missing everywhere",
        resource: DEPLOY,
        mutate: (i) => {
          delete pod(i).securityContext.runAsNonRoot;
          delete operator(i).securityContext.runAsNonRoot;
        },
        message: /containers\[operator\] does not set securityContext.runAsNonRoot: true/,
      },
      {
        title: "a container runs as uid 0",
        resource: DEPLOY,
        mutate: (i) => (pod(i).initContainers[0]!.securityContext.runAsUser = 0),
        message: /initContainers\[migrate\] runs as runAsUser 0/,
      },
      {
        title: "a container overrides runAsNonRoot to false",
        resource: DEPLOY,
        mutate: (i) => (operator(i).securityContext.runAsNonRoot = false),
        message: /containers\[operator\]/,
      },
      {
        title: "a CronJob container runs as root",
        resource: "sweeper",
        mutate: (i) =>
          (cronPod(i).containers[0]!.securityContext = {
            ...cronPod(i).containers[0]!.securityContext,
            runAsNonRoot: undefined,
            runAsUser: 0,
          }),
        message: /containers\[sweep\] runs as runAsUser 0/,
      },
    ],
    passes: [
      {
        title: "only the pod-level runAsNonRoot is set",
        resource: DEPLOY,
        mutate: (i) => {
          delete operator(i).securityContext.runAsNonRoot;
          delete pod(i).initContainers[0]!.securityContext.runAsNonRoot;
        },
      },
    ],
  },
  {
    policy: readOnlyRootFs,
    breaks: [
      {
        title: "the root filesystem is writable",
        resource: DEPLOY,
        mutate: (i) => (operator(i).securityContext.readOnlyRootFilesystem = false),
        message: /containers\[operator\] does not set securityContext.readOnlyRootFilesystem: true/,
      },
      {
        title: "an init container has no securityContext",
        resource: DEPLOY,
        mutate: (i) => (pod(i).initContainers[0]!.securityContext = {}),
        message: /initContainers\[migrate\]/,
      },
    ],
  },
  {
    policy: noEscalation,
    breaks: [
      {
        title: "allowPrivilegeEscalation is unset (defaults true)",
        resource: DEPLOY,
        mutate: (i) => delete operator(i).securityContext.allowPrivilegeEscalation,
        message: /does not set securityContext.allowPrivilegeEscalation: false/,
      },
      {
        title: "the container is privileged",
        resource: DEPLOY,
        mutate: (i) => (operator(i).securityContext.privileged = true),
        message: /containers\[operator\] is privileged/,
      },
    ],
  },
  {
    policy: limits,
    breaks: [
      {
        title: "the memory limit is missing",
        resource: DEPLOY,
        mutate: (i) => delete operator(i).resources.limits.memory,
        message: /containers\[operator\] has no resources.limits.memory/,
      },
      {
        title: "the CronJob has no limits",
        resource: "sweeper",
        mutate: (i) => (cronPod(i).containers[0]!.resources = { limits: {} }),
        message: /has no resources.limits.cpu/,
      },
    ],
  },
  {
    policy: imageDigest,
    breaks: [
      {
        title: "the image is a tag",
        resource: DEPLOY,
        mutate: (i) =>
          (operator(i).image =
            "us-central1-docker.pkg.dev/coditect-citus-prod/coditect-licensed/operator:1.0.0"),
        message: /operator:1.0.0" is not pinned by @sha256 digest/,
      },
      {
        title: "the image is latest",
        resource: DEPLOY,
        mutate: (i) => (pod(i).initContainers[0]!.image = "busybox"),
        message: /"busybox" is not pinned/,
      },
    ],
  },
]);
