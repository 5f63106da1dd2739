/**
 * The sandbox's cluster access: the TLS material it gives the API test server, the HTTPS health probe, the
 * admin kubeconfig kubectl uses, and billing's and the operator's own ServiceAccounts under the real RBAC —
 * against the API test server with TLS and RBAC on, with client-node and real kubectl.
 */
import { execFile } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { CoreV1Api, CustomObjectsApi, KubeConfig } from "@kubernetes/client-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CRD_DIR } from "../crds/load.js";
import { httpStatus } from "../lib/kube/errors.js";
import { type KubeApiServer, startKubeApiServer } from "../test-support/kube-apiserver/index.js";
import { probeHealth } from "./health.js";
import { SERVICE_IDENTITIES } from "./identities.js";
import { provisionServiceIdentities, writeKubeTls } from "./kube-access.js";
import { writeSandboxKubeconfig } from "./kubeconfig.js";
import { kubePaths } from "./plan.js";

const work = mkdtempSync(join(tmpdir(), "coditect-sandbox-kube-"));
const kubeDir = join(work, "kube");
let server: KubeApiServer;
let caPem: string;

beforeAll(async () => {
  ({ caPem } = await writeKubeTls(kubeDir));
  const paths = kubePaths(kubeDir);
  server = await startKubeApiServer({
    crdDirs: [CRD_DIR],
    rbac: true,
    tls: {
      caPem,
      certPem: readFileSync(paths.cert, "utf8"),
      keyPem: readFileSync(paths.key, "utf8"),
    },
  });
});
afterAll(async () => {
  await server?.stop();
  rmSync(work, { recursive: true, force: true });
});

function kubeconfigOf(file: string): KubeConfig {
  const kc = new KubeConfig();
  kc.loadFromFile(file);
  return kc;
}

const license = (name: string) => ({
  apiVersion: "coditect.ai/v1alpha1",
  kind: "License",
  metadata: { name, namespace: "acme", labels: { "app.kubernetes.io/managed-by": "coditect-billing" } },
  spec: {
    licenseId: "3f2a9c1e-8b7d-4e6f-9a01-23456789abcd",
    organization: "acme",
    tier: "pro",
    maxContainers: 1,
    seats: 1,
    expiresAt: null,
    provisioningType: "paid",
    state: "active",
  },
});

describe("the sandbox's API server access", () => {
  it("serves TLS with the sandbox's CA; /readyz answers the HTTPS probe without a token", async () => {
    const paths = kubePaths(kubeDir);
    expect(statSync(paths.key).mode & 0o077).toBe(0);
    expect(server.url).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
    expect(await probeHealth({ kind: "http", url: `${server.url}/readyz`, caFile: paths.ca })).toBe(true);
    // Verified against the sandbox's CA: another CA's server is not trusted.
    const other = join(work, "other");
    await writeKubeTls(other);
    expect(
      await probeHealth({ kind: "http", url: `${server.url}/readyz`, caFile: kubePaths(other).ca }),
    ).toBe(false);
  });

  it("the admin kubeconfig verifies the server and is allowed everything (kubectl create, auth can-i)", async () => {
    const file = join(work, "kubeconfig");
    writeSandboxKubeconfig(file, { url: server.url, caPem, token: server.adminToken });
    expect(statSync(file).mode & 0o077).toBe(0);
    const kc = kubeconfigOf(file);
    expect(kc.getCurrentContext()).toBe("coditect-sandbox");
    expect(kc.getCurrentCluster()?.skipTLSVerify).toBeFalsy();
    const kubectl = (...args: string[]) =>
      new Promise<string>((resolve, reject) =>
        execFile(
          "kubectl",
          args,
          { env: { PATH: process.env.PATH, HOME: work, KUBECONFIG: file }, timeout: 60_000 },
          (error, stdout, stderr) =>
            error ? reject(new Error(`${error.message}: ${stderr}`)) : resolve(stdout),
        ),
      );
    expect(await kubectl("create", "namespace", "acme")).toContain("namespace/acme created");
    expect((await kubectl("auth", "can-i", "create", "namespaces")).trim()).toBe("yes");
  });

  it("billing and the operator get their own ServiceAccount kubeconfigs, limited to their RBAC rules", async () => {
    const files = await provisionServiceIdentities({
      kubeDir,
      url: server.url,
      caPem,
      adminToken: server.adminToken,
    });
    expect(Object.keys(files).sort()).toEqual(SERVICE_IDENTITIES.map((i) => i.service).sort());
    for (const file of Object.values(files)) expect(statSync(file).mode & 0o077).toBe(0);

    const billing = kubeconfigOf(files.billing);
    const billingObjects = billing.makeApiClient(CustomObjectsApi);
    await billingObjects.createNamespacedCustomObject({
      group: "coditect.ai",
      version: "v1alpha1",
      namespace: "acme",
      plural: "licenses",
      body: license("lic-a"),
    });
    const secrets = await billing
      .makeApiClient(CoreV1Api)
      .listNamespacedSecret({ namespace: "acme" })
      .catch((e: unknown) => e);
    expect(httpStatus(secrets)).toBe(403);

    const operator = kubeconfigOf(files.operator);
    const operatorObjects = operator.makeApiClient(CustomObjectsApi);
    const listed = await operatorObjects.listClusterCustomObject({
      group: "coditect.ai",
      version: "v1alpha1",
      plural: "licenses",
    });
    expect((listed as { items: { metadata: { name: string } }[] }).items.map((l) => l.metadata.name)).toEqual(
      ["lic-a"],
    );
    const create = await operatorObjects
      .createNamespacedCustomObject({
        group: "coditect.ai",
        version: "v1alpha1",
        namespace: "acme",
        plural: "licenses",
        body: license("lic-b"),
      })
      .catch((e: unknown) => e);
    expect(httpStatus(create)).toBe(403);
    expect(server.deniedRequests().map((d) => `${d.user} ${d.verb} ${d.resource}`)).toEqual([
      "system:serviceaccount:coditect-billing:billing list secrets",
      "system:serviceaccount:coditect-operator:operator create licenses",
    ]);

    // Provisioning again (a second call in one run) leaves the existing objects and issues fresh tokens.
    await provisionServiceIdentities({ kubeDir, url: server.url, caPem, adminToken: server.adminToken });
  });
});
