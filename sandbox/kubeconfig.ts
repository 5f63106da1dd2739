/**
 * The sandbox kubeconfig (`<data>/kubeconfig`), for kubectl and for billing and the operator.
 * Written by the sandbox rather than by `kube:serve --kubeconfig`: @kubernetes/client-node 2 refuses a
 * plain-http server unless the cluster entry has `insecure-skip-tls-verify: true`, which that file lacks.
 */
import { writeFileSync } from "node:fs";
import { stringify } from "yaml";

export const SANDBOX_CONTEXT = "coditect-sandbox";
/** The API test server accepts any bearer token; this one only names the sandbox user. */
const SANDBOX_TOKEN = "coditect-sandbox";

export function sandboxKubeconfigYaml(serverUrl: string): string {
  return stringify({
    apiVersion: "v1",
    kind: "Config",
    clusters: [{ name: SANDBOX_CONTEXT, cluster: { server: serverUrl, "insecure-skip-tls-verify": true } }],
    users: [{ name: SANDBOX_CONTEXT, user: { token: SANDBOX_TOKEN } }],
    contexts: [
      {
        name: SANDBOX_CONTEXT,
        context: { cluster: SANDBOX_CONTEXT, user: SANDBOX_CONTEXT, namespace: "default" },
      },
    ],
    "current-context": SANDBOX_CONTEXT,
    preferences: {},
  });
}

export function writeSandboxKubeconfig(file: string, serverUrl: string): void {
  writeFileSync(file, sandboxKubeconfigYaml(serverUrl), { mode: 0o600 });
}
