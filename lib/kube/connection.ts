/**
 * Where the control plane's Kubernetes client connects and how it authenticates (contract; implemented by
 * workstream K-core). One rule for billing and the operator (issue 11 C5, now shared):
 *   1. KUBECONFIG set → that file's current context (local runs, the sandbox, tests);
 *   2. else KUBERNETES_SERVICE_HOST/PORT set (every pod) → the pod's service account: token (re-read from
 *      its file, the kubelet rotates projected tokens), ca.crt and namespace under SERVICE_ACCOUNT_DIR;
 *   3. else no cluster.
 * Supported kubeconfig users: `token`, `tokenFile`, client certificate/key (data or file), and for
 * clusters `certificate-authority(-data)` and `insecure-skip-tls-verify`. A user with `exec` or
 * `auth-provider` (e.g. gke-gcloud-auth-plugin on a laptop) is authenticated by @kubernetes/client-node,
 * imported lazily only in that case, so in-cluster processes never load it (ADR 0310: memory).
 */

export const SERVICE_ACCOUNT_DIR = "/var/run/secrets/kubernetes.io/serviceaccount";

export interface KubeConnection {
  /** https://host:port (or http:// for a local test server), no trailing slash. */
  server: string;
  /** PEM of the CA that signs the server's certificate; undefined = the system's roots. */
  caPem?: string | undefined;
  /** Do not verify the server's certificate (kubeconfig insecure-skip-tls-verify; local test servers). */
  insecureSkipTlsVerify?: boolean;
  /** PEM client certificate and key (kubeconfig client-certificate/client-key). */
  clientCertPem?: string | undefined;
  clientKeyPem?: string | undefined;
  /** Extra request headers for each request, e.g. `authorization: Bearer …`; called per request (tokens rotate). */
  authHeaders?: (() => Promise<Record<string, string>> | Record<string, string>) | undefined;
  /** The context's / the pod's namespace, when known. */
  namespace?: string | undefined;
  /** Where this came from, for logs: "kubeconfig <file>" | "in-cluster" | "test server". Never a secret. */
  description: string;
}

/** What decides the connection; billing/config.ts and operator/config.ts read these from the environment. */
export interface KubeConnectionSettings {
  kubeconfig: string | undefined;
  serviceHost: string | undefined;
  servicePort: string | undefined;
}

export type KubeConnectionSource =
  | { source: "kubeconfig"; connection: KubeConnection; file: string }
  | { source: "in-cluster"; connection: KubeConnection }
  | { source: "none"; reason: string };
