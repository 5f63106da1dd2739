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

/** Kubeconfig YAML as kubectl reads it. */
export function kubeconfigYaml(url: string): string {
  return stringify({
    apiVersion: "v1",
    kind: "Config",
    clusters: [{ name: CONTEXT_NAME, cluster: { server: url } }],
    users: [{ name: CONTEXT_NAME, user: { token: TOKEN } }],
    contexts: [
      { name: CONTEXT_NAME, context: { cluster: CONTEXT_NAME, user: CONTEXT_NAME, namespace: "default" } },
    ],
    "current-context": CONTEXT_NAME,
    preferences: {},
  });
}

export function writeKubeconfigFile(file: string, url: string): void {
  writeFileSync(file, kubeconfigYaml(url), { mode: 0o600 });
}
