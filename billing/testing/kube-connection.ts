/**
 * The connection billing's own client uses against the API test server (issue 18): the test server's
 * target as a lib/kube KubeConnection. Tests keep a client-node KubeConfig as their independent reader.
 */
import type { KubeConnection } from "../../lib/kube/connection.js";
import type { KubeApiServer } from "../../test-support/kube-apiserver/index.js";
import { kubeConnectionFor } from "../../test-support/kube-apiserver/kubeconfig.js";

/** The admin connection to an API test server. */
export function testServerConnection(
  kube: Pick<KubeApiServer, "url" | "caPem" | "adminToken">,
): KubeConnection {
  return kubeConnectionFor({ url: kube.url, caPem: kube.caPem, token: kube.adminToken });
}
