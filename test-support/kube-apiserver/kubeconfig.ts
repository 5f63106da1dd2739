/**
 * Kubeconfig for the API test server: one cluster, one user with a bearer token (the admin token unless
 * another is given, e.g. a ServiceAccount token), one context. Over TLS the cluster carries the server's CA
 * (`certificate-authority-data`), so clients verify the serving certificate as against a real cluster.
 */
import { writeFileSync } from "node:fs";
import { KubeConfig } from "@kubernetes/client-node";
import { stringify } from "yaml";
import type { KubeConnection } from "../../lib/kube/connection.js";

export const CONTEXT_NAME = "coditect-test";

export interface KubeconfigTarget {
  url: string;
  /** PEM of the CA that signed the serving certificate; undefined for plain http. */
  caPem: string | undefined;
  token: string;
  namespace?: string;
  contextName?: string;
}

function clusterEntry(target: KubeconfigTarget): Record<string, unknown> {
  // client-node 2 refuses a plain-http server unless skip-TLS is set (kubectl ignores it for http).
  return target.caPem
    ? { server: target.url, "certificate-authority-data": Buffer.from(target.caPem).toString("base64") }
    : { server: target.url, "insecure-skip-tls-verify": true };
}

export function kubeconfigYaml(target: KubeconfigTarget): string {
  const name = target.contextName ?? CONTEXT_NAME;
  return stringify({
    apiVersion: "v1",
    kind: "Config",
    clusters: [{ name, cluster: clusterEntry(target) }],
    users: [{ name, user: { token: target.token } }],
    contexts: [{ name, context: { cluster: name, user: name, namespace: target.namespace ?? "default" } }],
    "current-context": name,
    preferences: {},
  });
}

export function kubeConfigFor(target: KubeconfigTarget): KubeConfig {
  const kc = new KubeConfig();
  kc.loadFromString(kubeconfigYaml(target));
  return kc;
}

/**
 * The same target as a lib/kube KubeConnection (no YAML round trip): the server's CA when it serves TLS,
 * the bearer token, the context's namespace.
 */
export function kubeConnectionFor(target: KubeconfigTarget): KubeConnection {
  const authorization = `Bearer ${target.token}`;
  return {
    server: target.url,
    caPem: target.caPem,
    authHeaders: () => ({ authorization }),
    namespace: target.namespace ?? "default",
    description: `test server ${target.url}`,
  };
}

/**
 * Writes kubeconfig YAML (mode 0600: it holds a token). The `(file, url, contextName)` form is the plain-http
 * kubeconfig of a server without RBAC (any token accepted), kept for callers written before TLS and RBAC.
 */
export function writeKubeconfigFile(
  file: string,
  target: KubeconfigTarget | string,
  contextName?: string,
): void {
  const resolved: KubeconfigTarget =
    typeof target === "string"
      ? {
          url: target,
          caPem: undefined,
          token: "coditect-test-token",
          ...(contextName ? { contextName } : {}),
        }
      : target;
  writeFileSync(file, kubeconfigYaml(resolved), { mode: 0o600 });
}
