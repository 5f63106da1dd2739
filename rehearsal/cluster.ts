/**
 * The rehearsal's cluster: the Kubernetes API test server over TLS with RBAC enforced (C1), the rendered
 * CRDs, Namespaces, ServiceAccounts and RBAC applied with the admin credential, and a token per
 * ServiceAccount for the projected volume. Every 403 is kept (deniedRequests) so a failure names the rule.
 */
import { request as httpsRequest } from "node:https";
import type { DeniedRequest } from "../test-support/kube-apiserver/auth/guard.js";
import { startKubeApiServer } from "../test-support/kube-apiserver/index.js";
import type { KubeManifest } from "./render.js";

export type { DeniedRequest };

export interface RehearsalCluster {
  host: string;
  port: number;
  caPem: string;
  /** Admin request against the API (JSON in and out). */
  request(method: string, path: string, body?: unknown): Promise<{ status: number; body: unknown }>;
  /** Creates the object; throws with the API's Status message. */
  apply(manifest: KubeManifest): Promise<void>;
  serviceAccountToken(namespace: string, name: string): Promise<string>;
  deniedRequests(): DeniedRequest[];
  stop(): Promise<void>;
}

const PLURALS: Record<string, string> = {
  CustomResourceDefinition: "customresourcedefinitions",
  Namespace: "namespaces",
  ServiceAccount: "serviceaccounts",
  Role: "roles",
  ClusterRole: "clusterroles",
  RoleBinding: "rolebindings",
  ClusterRoleBinding: "clusterrolebindings",
  ConfigMap: "configmaps",
};

/** REST collection path of a manifest (the kinds the rehearsal applies). Pure. */
export function collectionPath(m: KubeManifest): string {
  const [group, version] = m.apiVersion.includes("/") ? m.apiVersion.split("/") : ["", m.apiVersion];
  const resource = PLURALS[m.kind];
  if (!resource) throw new Error(`the rehearsal does not apply ${m.kind} ${m.metadata.name}`);
  const base = group ? `/apis/${group}/${version}` : `/api/${version}`;
  return m.metadata.namespace
    ? `${base}/namespaces/${m.metadata.namespace}/${resource}`
    : `${base}/${resource}`;
}

function jsonRequest(
  url: URL,
  method: string,
  token: string,
  caPem: string,
  body: unknown,
): Promise<{ status: number; body: unknown }> {
  return new Promise((resolve, reject) => {
    const req = httpsRequest(
      url,
      {
        method,
        ca: caPem,
        headers: {
          authorization: `Bearer ${token}`,
          "content-type": "application/json",
          accept: "application/json",
        },
      },
      (res) => {
        let text = "";
        res.on("data", (c) => {
          text += c;
        });
        res.on("end", () => {
          let parsed: unknown = text;
          try {
            parsed = JSON.parse(text);
          } catch {
            // Not JSON: keep the text.
          }
          resolve({ status: res.statusCode ?? 0, body: parsed });
        });
      },
    );
    req.on("error", reject);
    req.end(body === undefined ? undefined : JSON.stringify(body));
  });
}

export async function startRehearsalCluster(): Promise<RehearsalCluster> {
  // CRDs come from the rendered manifests, not crds/: what is applied is what pulumi would apply.
  const server = await startKubeApiServer({ tls: true, rbac: true });
  const base = new URL(server.url);
  const caPem = server.caPem!;
  const request = (method: string, path: string, body?: unknown) =>
    jsonRequest(new URL(path, base), method, server.adminToken, caPem, body);
  return {
    host: base.hostname,
    port: Number(base.port),
    caPem,
    request,
    async apply(manifest) {
      const res = await request("POST", collectionPath(manifest), manifest);
      if (res.status >= 300) {
        const message = (res.body as { message?: string })?.message ?? JSON.stringify(res.body);
        throw new Error(
          `applying ${manifest.kind} ${manifest.metadata.name} failed (${res.status}): ${message}`,
        );
      }
    },
    serviceAccountToken: (namespace, name) => server.serviceAccountToken(namespace, name),
    deniedRequests: () => server.deniedRequests(),
    stop: () => server.stop(),
  };
}
