/**
 * The sandbox kubeconfig (`<data>/kubeconfig`), for kubectl and for billing and the operator: the API test
 * server's kubeconfig under the sandbox's own context name.
 */
import { writeKubeconfigFile } from "../test-support/kube-apiserver/kubeconfig.js";

export const SANDBOX_CONTEXT = "coditect-sandbox";

export function writeSandboxKubeconfig(file: string, serverUrl: string): void {
  writeKubeconfigFile(file, serverUrl, SANDBOX_CONTEXT);
}
