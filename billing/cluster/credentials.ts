/**
 * Where billing's Kubernetes credentials come from — one rule for the cluster feed and the sessions API
 * (issue 11, contract C5), now shared with the operator in lib/kube/connection.ts (issue 18):
 *   1. KUBECONFIG set → that file (local runs, the sandbox);
 *   2. else KUBERNETES_SERVICE_HOST/PORT set (the kubelet sets them in every pod) → the pod's service
 *      account: token, CA and namespace under /var/run/secrets/kubernetes.io/serviceaccount/;
 *   3. else no cluster: licenses stay in Postgres only, and the caller logs it loudly.
 * This module keeps billing's names and adds the server and namespace billing logs at startup.
 */
import {
  type KubeConnection,
  type KubeConnectionSettings,
  loadKubeConnection,
  SERVICE_ACCOUNT_DIR,
} from "../../lib/kube/connection.js";

export { SERVICE_ACCOUNT_DIR };

/** What decides the credentials; billing/config.ts reads these from the environment. */
export type KubeCredentialSettings = KubeConnectionSettings;

export type KubeCredentials =
  | { source: "kubeconfig"; connection: KubeConnection; server: string; file: string }
  | { source: "in-cluster"; connection: KubeConnection; server: string; namespace: string | undefined }
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
  const loaded = loadKubeConnection(settings, serviceAccountDir);
  switch (loaded.source) {
    case "none":
      return loaded;
    case "kubeconfig":
      return { ...loaded, server: loaded.connection.server };
    case "in-cluster":
      return { ...loaded, server: loaded.connection.server, namespace: loaded.connection.namespace };
  }
}
