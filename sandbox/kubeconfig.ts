/**
 * The sandbox kubeconfig (`<data>/kubeconfig`), for kubectl: the API test server's URL and CA and the
 * server's admin token (user coditect:admin in system:masters), under the sandbox's own context name.
 * Billing and the operator do not use it: they get their own ServiceAccount kubeconfigs (kube-access.ts).
 */
import { writeFileSync } from "node:fs";
import { kubeconfigYaml } from "../test-support/kube-apiserver/kubeconfig.js";

export const SANDBOX_CONTEXT = "coditect-sandbox";

export function writeSandboxKubeconfig(
  file: string,
  target: { url: string; caPem: string; token: string },
): void {
  writeFileSync(file, kubeconfigYaml({ ...target, contextName: SANDBOX_CONTEXT }), { mode: 0o600 });
}
