/**
 * Hardening every control-plane pod gets (pure builders, tested without mocks): the Kubernetes
 * "restricted" Pod Security Standard — non-root, no privilege escalation, all capabilities dropped,
 * RuntimeDefault seccomp — plus a read-only root filesystem with a small writable /tmp, and resource
 * requests equal to what limits allow to burst to.
 */
import type * as k8s from "@pulumi/kubernetes";

type PodSecurityContext = k8s.types.input.core.v1.PodSecurityContext;
type SecurityContext = k8s.types.input.core.v1.SecurityContext;
type ResourceRequirements = k8s.types.input.core.v1.ResourceRequirements;

/** An unprivileged uid/gid that exists in distroless/nonroot images (65532 = "nonroot"). */
export const NON_ROOT_UID = 65532;

/** Namespace labels enforcing the restricted Pod Security Standard at admission. */
export const RESTRICTED_NAMESPACE_LABELS = {
  "pod-security.kubernetes.io/enforce": "restricted",
  "pod-security.kubernetes.io/enforce-version": "latest",
  "pod-security.kubernetes.io/audit": "restricted",
  "pod-security.kubernetes.io/warn": "restricted",
};

export function restrictedPodSecurityContext(): PodSecurityContext {
  return {
    runAsNonRoot: true,
    runAsUser: NON_ROOT_UID,
    runAsGroup: NON_ROOT_UID,
    fsGroup: NON_ROOT_UID,
    seccompProfile: { type: "RuntimeDefault" },
  };
}

export function restrictedContainerSecurityContext(): SecurityContext {
  return {
    runAsNonRoot: true,
    allowPrivilegeEscalation: false,
    readOnlyRootFilesystem: true,
    privileged: false,
    capabilities: { drop: ["ALL"] },
    seccompProfile: { type: "RuntimeDefault" },
  };
}

/** Requests and limits; memory limit = request so the pod is never OOM-killed for a neighbour's burst. */
export function containerResources(
  cpu: { request: string; limit: string },
  memory: string,
): ResourceRequirements {
  return {
    requests: { cpu: cpu.request, memory },
    limits: { cpu: cpu.limit, memory },
  };
}

/** A writable, size-capped /tmp (the root filesystem is read-only). */
export const TMP_VOLUME = { name: "tmp", emptyDir: { medium: "Memory", sizeLimit: "64Mi" } };
export const TMP_MOUNT = { name: "tmp", mountPath: "/tmp" };

/** Throws when an image is not pinned by digest: tags can be moved, digests cannot. */
export function assertPinnedByDigest(image: string, what: string): string {
  if (!/@sha256:[a-f0-9]{64}$/.test(image)) {
    throw new Error(`${what} image must be pinned by digest (…@sha256:<64 hex>), got "${image}"`);
  }
  return image;
}
