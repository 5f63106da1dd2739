/**
 * Billing's Kubernetes client: lib/kube (pooled keep-alive connections, errors as KubeApiError), never
 * @kubernetes/client-node, which the billing process does not load (issue 18, billing/no-client-node.test.ts).
 * Billing has no client-side rate limit (it never had one; the operator's is ADR 0262).
 */
import { createKubeClient, type KubeClient } from "../../lib/kube/client.js";
import { connectionFromKubeconfigYaml, type KubeConnection } from "../../lib/kube/connection.js";

/**
 * A kubeconfig that prints itself as YAML — client-node's KubeConfig, which tests, benchmarks and the
 * sandbox hold for their own independent client. Only its current context is used. Typed structurally so
 * that billing does not import client-node even for types.
 */
export interface PrintableKubeconfig {
  exportConfig(): string;
}

/** What billing's cluster classes are built from: a client to share, a connection, or a kubeconfig. */
export type KubeClientSource = KubeClient | KubeConnection | PrintableKubeconfig;

export const BILLING_USER_AGENT = "coditect-billing";

export function billingKubeClient(source: KubeClientSource): KubeClient {
  if ("resource" in source) return source;
  const connection =
    "exportConfig" in source
      ? connectionFromKubeconfigYaml(source.exportConfig(), "kubeconfig object")
      : source;
  return createKubeClient(connection, { userAgent: BILLING_USER_AGENT });
}
