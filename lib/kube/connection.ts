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
import { existsSync, readFileSync } from "node:fs";
import { isIPv6 } from "node:net";
import { join } from "node:path";
import { type Clock, systemClock } from "../clock.js";
import { parseKubeconfig, tokenFileAuth } from "./kubeconfig.js";

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

/**
 * Applies the rule above. `serviceAccountDir` exists for tests (the files of a pod, somewhere else);
 * `clock` paces the token file's re-reads. Throws naming the missing file when the pod looks in-cluster
 * but its token or CA is absent: a pod without `automountServiceAccountToken` must fail loudly rather than
 * run without the cluster.
 */
export function loadKubeConnection(
  settings: KubeConnectionSettings,
  serviceAccountDir: string = SERVICE_ACCOUNT_DIR,
  clock: Clock = systemClock,
): KubeConnectionSource {
  if (settings.kubeconfig) {
    const file = settings.kubeconfig;
    let connection: KubeConnection;
    try {
      connection = parseKubeconfig({
        yaml: readFileSync(file, "utf8"),
        file,
        description: `kubeconfig ${file}`,
        clock,
      });
    } catch (error) {
      throw new Error(
        `KUBECONFIG=${file} has no current context with a cluster server: ${(error as Error).message}`,
        { cause: error },
      );
    }
    return { source: "kubeconfig", connection, file };
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
  // What client-go's rest.InClusterConfig() builds: the server verified with ca.crt, the token re-read
  // from its file (the kubelet rotates projected tokens).
  return {
    source: "in-cluster",
    connection: {
      server: `https://${isIPv6(host) ? `[${host}]` : host}:${port}`,
      caPem: readFileSync(caFile, "utf8"),
      authHeaders: tokenFileAuth(tokenFile, clock),
      namespace,
      description: "in-cluster",
    },
  };
}

/** The current context of a kubeconfig file (relative paths inside it are resolved from its directory). */
export function connectionFromKubeconfigFile(file: string): KubeConnection {
  return parseKubeconfig({ yaml: readFileSync(file, "utf8"), file, description: `kubeconfig ${file}` });
}

/** The current context of kubeconfig YAML held in memory (e.g. a Secret's value); `description` names it. */
export function connectionFromKubeconfigYaml(yaml: string, description: string): KubeConnection {
  return parseKubeconfig({ yaml, file: undefined, description });
}
