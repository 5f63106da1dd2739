/**
 * Kubeconfig for the API test server: one cluster (plain http on 127.0.0.1), one user with a static
 * token (the server accepts any token — it enforces no authentication), one context.
 */
import { writeFileSync } from "node:fs";
import { KubeConfig } from "@kubernetes/client-node";
import { stringify } from "yaml";

export const CONTEXT_NAME = "coditect-test";
const TOKEN = "coditect-test-token";

export function kubeConfigFor(url: string): KubeConfig {
  const kc = new KubeConfig();
  kc.loadFromOptions({
    clusters: [{ name: CONTEXT_NAME, server: url, skipTLSVerify: true }],
    users: [{ name: CONTEXT_NAME, token: TOKEN }],
    contexts: [{ name: CONTEXT_NAME, cluster: CONTEXT_NAME, user: CONTEXT_NAME, namespace: "default" }],
    currentContext: CONTEXT_NAME,
  });
  return kc;
}

/**
 * Kubeconfig YAML as kubectl and @kubernetes/client-node read it. `insecure-skip-tls-verify` is set because
 * client-node 2 refuses a plain-http server without it (kubectl ignores it for http).
 */
export function kubeconfigYaml(url: string, contextName: string = CONTEXT_NAME): string {
  return stringify({
    apiVersion: "v1",
    kind: "Config",
    clusters: [{ name: contextName, cluster: { server: url, "insecure-skip-tls-verify": true } }],
    users: [{ name: contextName, user: { token: TOKEN } }],
    contexts: [
      { name: contextName, context: { cluster: contextName, user: contextName, namespace: "default" } },
    ],
    "current-context": contextName,
    preferences: {},
  });
}

export function writeKubeconfigFile(file: string, url: string, contextName: string = CONTEXT_NAME): void {
  writeFileSync(file, kubeconfigYaml(url, contextName), { mode: 0o600 });
}
