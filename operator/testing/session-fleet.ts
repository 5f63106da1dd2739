/**
 * A License and N live ContainerSessions written straight to the API server (as billing's admission
 * and heartbeats would leave them), for the revocation test and benchmark: no PostgreSQL needed to
 * measure what the operator does once billing revokes.
 */
import { randomUUID } from "node:crypto";
import {
  CoreV1Api,
  CustomObjectsApi,
  type KubeConfig,
  PatchStrategy,
  setHeaderOptions,
} from "@kubernetes/client-node";
import { ContainerSessionResource, type License, LicenseResource } from "../../crds/types.js";

const MERGE_PATCH = setHeaderOptions("Content-Type", PatchStrategy.MergePatch);
const sessionsApi = {
  group: ContainerSessionResource.group,
  version: ContainerSessionResource.version,
  plural: ContainerSessionResource.plural,
};
const licensesApi = {
  group: LicenseResource.group,
  version: LicenseResource.version,
  plural: LicenseResource.plural,
};

export interface SessionFleet {
  namespace: string;
  license: string;
  sessionNames: string[];
}

/** Runs `task(i)` for i < count with `concurrency` in flight. */
export async function inPool(count: number, concurrency: number, task: (i: number) => Promise<unknown>) {
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < count) await task(next++);
    }),
  );
}

/** Creates the namespace, an active Enterprise License allowing `sessions` containers, and the sessions. */
export async function createSessionFleet(
  kc: KubeConfig,
  namespace: string,
  sessions: number,
  concurrency = 16,
): Promise<SessionFleet> {
  const core = kc.makeApiClient(CoreV1Api);
  const api = kc.makeApiClient(CustomObjectsApi);
  await core.createNamespace({ body: { metadata: { name: namespace } } });
  const license = "lic";
  const body: License = {
    apiVersion: "coditect.ai/v1alpha1",
    kind: "License",
    metadata: { name: license, namespace, labels: { "app.kubernetes.io/managed-by": "coditect-billing" } },
    spec: {
      licenseId: randomUUID(),
      organization: namespace,
      tier: "enterprise",
      maxContainers: sessions,
      seats: sessions,
      expiresAt: null,
      provisioningType: "internal",
      state: "active",
    },
  } as License;
  await api.createNamespacedCustomObject({ ...licensesApi, namespace, body });
  const sessionNames = Array.from({ length: sessions }, (_, i) => `cs-${i}`);
  const now = new Date().toISOString();
  await inPool(sessions, concurrency, async (i) => {
    const name = sessionNames[i]!;
    await api.createNamespacedCustomObject({
      ...sessionsApi,
      namespace,
      body: {
        apiVersion: "coditect.ai/v1alpha1",
        kind: "ContainerSession",
        metadata: { name, namespace },
        spec: {
          sessionId: randomUUID(),
          licenseRef: { name: license },
          containerId: `container-${i}`,
          containerType: "docker",
        },
      },
    });
    await api.patchNamespacedCustomObjectStatus(
      { ...sessionsApi, namespace, name, body: { status: { state: "active", lastHeartbeatTime: now } } },
      MERGE_PATCH,
    );
  });
  return { namespace, license, sessionNames };
}

/** What billing writes when it revokes: the License spec's state. */
export async function revokeLicense(kc: KubeConfig, fleet: SessionFleet): Promise<void> {
  await kc.makeApiClient(CustomObjectsApi).patchNamespacedCustomObject(
    {
      ...licensesApi,
      namespace: fleet.namespace,
      name: fleet.license,
      body: { spec: { state: "revoked" } },
    },
    MERGE_PATCH,
  );
}
