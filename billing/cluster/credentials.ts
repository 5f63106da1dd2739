/**
 * Where billing's Kubernetes credentials come from — one rule for the cluster feed and the sessions API
 * (issue 11, contract C5):
 *   1. KUBECONFIG set → that file (local runs, the sandbox);
 *   2. else KUBERNETES_SERVICE_HOST/PORT set (the kubelet sets them in every pod) → the pod's service
 *      account: token, CA and namespace under /var/run/secrets/kubernetes.io/serviceaccount/;
 *   3. else no cluster: licenses stay in Postgres only, and the caller logs it loudly.
 * Before this module billing read only KUBECONFIG, which no pod has, so on GKE it never wrote a License.
 */
import { existsSync, readFileSync } from "node:fs";
import { isIPv6 } from "node:net";
import { join } from "node:path";
import { KubeConfig } from "@kubernetes/client-node";

export const SERVICE_ACCOUNT_DIR = "/var/run/secrets/kubernetes.io/serviceaccount";

/** What decides the credentials; billing/config.ts reads these from the environment. */
export interface KubeCredentialSettings {
  kubeconfig: string | undefined;
  serviceHost: string | undefined;
  servicePort: string | undefined;
}

export type KubeCredentials =
  | { source: "kubeconfig"; kubeConfig: KubeConfig; server: string; file: string }
  | { source: "in-cluster"; kubeConfig: KubeConfig; server: string; namespace: string | undefined }
  | { source: "none"; reason: string };

/**
 * Applies the rule above. `serviceAccountDir` exists for tests (the files of a pod, somewhere else).
 * Throws naming the missing file when the pod looks in-cluster but its token or CA is absent: a pod
 * without `automountServiceAccountToken` must fail loudly rather than run without the cluster.
 */
export function loadKubeCredentials(
  settings: KubeCredentialSettings,
  serviceAccountDir: string = SERVICE_ACCOUNT_DIR,
): KubeCredentials {
  if (settings.kubeconfig) {
    const kubeConfig = new KubeConfig();
    kubeConfig.loadFromFile(settings.kubeconfig);
    const server = kubeConfig.getCurrentCluster()?.server;
    if (!server) {
      throw new Error(`KUBECONFIG=${settings.kubeconfig} has no current context with a cluster server`);
    }
    return { source: "kubeconfig", kubeConfig, server, file: settings.kubeconfig };
  }
  const { serviceHost: host, servicePort: port } = settings;
  if (!host || !port) {
    return {
      source: "none",
      reason: "neither KUBECONFIG nor KUBERNETES_SERVICE_HOST/KUBERNETES_SERVICE_PORT is set",
    };
  }
  const tokenFile = join(serviceAccountDir, "token");
  const caFile = join(serviceAccountDir, "ca.crt");
  for (const file of [tokenFile, caFile]) {
    if (!existsSync(file)) {
      throw new Error(
        `KUBERNETES_SERVICE_HOST is set (in a pod) but ${file} is missing: mount the service account token (automountServiceAccountToken: true)`,
      );
    }
  }
  const namespaceFile = join(serviceAccountDir, "namespace");
  const namespace = existsSync(namespaceFile) ? readFileSync(namespaceFile, "utf8").trim() : undefined;
  // The same cluster/user client-node's loadFromCluster() builds, from our settings instead of process.env:
  // the token is re-read from its file (kubelet rotates projected tokens), the server verified with ca.crt.
  const server = `https://${isIPv6(host) ? `[${host}]` : host}:${port}`;
  const kubeConfig = new KubeConfig();
  kubeConfig.loadFromOptions({
    clusters: [{ name: "in-cluster", server, caFile, skipTLSVerify: false }],
    users: [{ name: "in-cluster", authProvider: { name: "tokenFile", config: { tokenFile } } }],
    contexts: [{ name: "in-cluster", cluster: "in-cluster", user: "in-cluster", namespace }],
    currentContext: "in-cluster",
  });
  return { source: "in-cluster", kubeConfig, server, namespace };
}
