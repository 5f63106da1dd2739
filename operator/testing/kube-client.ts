/**
 * The operator's lib/kube client for the Kubernetes API test server, as tests and benchmarks construct it
 * (production builds it in operator/main.ts from loadKubeConnection): the server's CA and admin token.
 * Tests that check what the server holds keep using an independent client-node KubeConfig.
 */
import { createKubeClient, type KubeClient, type KubeClientOptions } from "../../lib/kube/client.js";
import type { KubeApiServer } from "../../test-support/kube-apiserver/index.js";
import { kubeConnectionFor } from "../../test-support/kube-apiserver/kubeconfig.js";

export function operatorKubeClient(kube: KubeApiServer, options: KubeClientOptions = {}): KubeClient {
  const connection = kubeConnectionFor({ url: kube.url, caPem: kube.caPem, token: kube.adminToken });
  return createKubeClient(connection, { userAgent: "coditect-operator", ...options });
}
