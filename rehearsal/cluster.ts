/**
 * The rehearsal's cluster: the Kubernetes API test server over TLS with RBAC enforced (C1), the rendered
 * CRDs, Namespaces, ServiceAccounts and RBAC applied with the admin credential, and a token per
 * ServiceAccount for the projected volume. Every 403 is kept (deniedRequests) so a failure names the rule.
 */
import { CustomObjectsApi, KubernetesObjectApi } from "@kubernetes/client-node";
import { API_GROUP, API_VERSION } from "../lib/domain.js";
import { httpStatus } from "../lib/kube/errors.js";
import type { DeniedRequest } from "../test-support/kube-apiserver/auth/guard.js";
import { startKubeApiServer } from "../test-support/kube-apiserver/index.js";
import type { KubeManifest } from "./render.js";

export type { DeniedRequest };

export interface RehearsalCluster {
  host: string;
  port: number;
  caPem: string;
  /** Every object of one of our custom resources, across namespaces (admin). */
  listCustom(plural: string): Promise<unknown[]>;
  /** Creates the object; throws with the API's Status message. */
  apply(manifest: KubeManifest): Promise<void>;
  serviceAccountToken(namespace: string, name: string): Promise<string>;
  deniedRequests(): DeniedRequest[];
  stop(): Promise<void>;
}

/** The API's Status message of a failed client-node call (its body), else the error itself. */
function statusMessage(error: unknown): string {
  const body = (error as { body?: unknown }).body;
  if (typeof body !== "string") return String(error);
  try {
    return (JSON.parse(body) as { message?: string }).message ?? body;
  } catch {
    return body;
  }
}

export async function startRehearsalCluster(): Promise<RehearsalCluster> {
  // CRDs come from the rendered manifests, not crds/: what is applied is what pulumi would apply.
  const server = await startKubeApiServer({ tls: true, rbac: true });
  const base = new URL(server.url);
  const caPem = server.caPem!;
  // The same client-node calls the sandbox uses (sandbox/kube-access.ts): discovery maps kinds to resources.
  const admin = server.kubeConfig();
  const objects = KubernetesObjectApi.makeApiClient(admin);
  const custom = admin.makeApiClient(CustomObjectsApi);
  return {
    host: base.hostname,
    port: Number(base.port),
    caPem,
    async listCustom(plural) {
      const list = (await custom.listClusterCustomObject({
        group: API_GROUP,
        version: API_VERSION,
        plural,
      })) as {
        items: unknown[];
      };
      return list.items;
    },
    async apply(manifest) {
      try {
        await objects.create(manifest);
      } catch (error) {
        throw new Error(
          `applying ${manifest.kind} ${manifest.metadata.name} failed (${httpStatus(error) ?? "no answer"}): ${statusMessage(error)}`,
        );
      }
    },
    serviceAccountToken: (namespace, name) => server.serviceAccountToken(namespace, name),
    deniedRequests: () => server.deniedRequests(),
    stop: () => server.stop(),
  };
}
