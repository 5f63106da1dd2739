/**
 * One rule for billing's Kubernetes credentials (C5): KUBECONFIG → the pod's service account → none.
 * The in-cluster case runs against the API test server behind TLS, with a service-account directory laid
 * out as the kubelet mounts it, and checks the token and CA are the ones used.
 */
import { rmSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CRD_DIR } from "../../crds/load.js";
import { LicenseResource } from "../../crds/types.js";
import { createKubeClient } from "../../lib/kube/client.js";
import { type KubeApiServer, startKubeApiServer } from "../../test-support/kube-apiserver/index.js";
import { startTlsKubeFront, type TlsKubeFront, writeServiceAccountDir } from "../testing/pod-credentials.js";
import { loadKubeCredentials } from "./credentials.js";

describe("loadKubeCredentials", () => {
  let kube: KubeApiServer;
  let front: TlsKubeFront;
  let saDir: string;
  beforeAll(async () => {
    kube = await startKubeApiServer({ crdDirs: [CRD_DIR] });
    front = await startTlsKubeFront(kube.url);
    saDir = writeServiceAccountDir("pod-token-123", front.caPem, "coditect-billing");
  });
  afterAll(async () => {
    await front?.stop();
    await kube?.stop();
    if (saDir) rmSync(saDir, { recursive: true, force: true });
  });

  it("in a pod (KUBERNETES_SERVICE_HOST/PORT, no KUBECONFIG) uses the service account's token and CA", async () => {
    const credentials = loadKubeCredentials(
      { kubeconfig: undefined, serviceHost: front.host, servicePort: String(front.port) },
      saDir,
    );
    expect(credentials).toMatchObject({
      source: "in-cluster",
      server: `https://127.0.0.1:${front.port}`,
      namespace: "coditect-billing",
    });
    if (credentials.source === "none") throw new Error("unreachable");
    const client = createKubeClient(credentials.connection);
    try {
      const list = await client.resource(LicenseResource).list();
      expect(list.items).toEqual([]);
    } finally {
      await client.close();
    }
    expect(front.authorizations.at(-1)).toBe("Bearer pod-token-123");
  });

  it("KUBECONFIG wins over the pod's service account", () => {
    const file = join(saDir, "kubeconfig");
    kube.writeKubeconfig(file);
    const credentials = loadKubeCredentials(
      { kubeconfig: file, serviceHost: front.host, servicePort: String(front.port) },
      saDir,
    );
    expect(credentials).toMatchObject({ source: "kubeconfig", server: kube.url, file });
  });

  it("without either, says there is no cluster and why", () => {
    expect(
      loadKubeCredentials({ kubeconfig: undefined, serviceHost: undefined, servicePort: undefined }, saDir),
    ).toEqual({
      source: "none",
      reason: "neither KUBECONFIG nor KUBERNETES_SERVICE_HOST/KUBERNETES_SERVICE_PORT is set",
    });
  });

  it("in a pod without a mounted token, fails naming the missing file", () => {
    expect(() =>
      loadKubeCredentials(
        { kubeconfig: undefined, serviceHost: "10.0.0.1", servicePort: "443" },
        join(saDir, "absent"),
      ),
    ).toThrow(`${join(saDir, "absent", "token")} is missing: mount the service account token`);
  });
});
