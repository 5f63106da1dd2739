/**
 * The sandbox's Kubernetes API test server runs like a cluster's: TLS with a CA the sandbox issues at
 * each start, bearer tokens and RBAC (ADR 0017). This module writes the serving material for the kube child,
 * then — once it is ready — creates billing's and the operator's ServiceAccounts and RBAC with the admin
 * credentials and writes each service a kubeconfig holding its own ServiceAccount token.
 */
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { CoreV1Api, KubeConfig, KubernetesObjectApi } from "@kubernetes/client-node";
import { httpStatus } from "../lib/kube/errors.js";
import { SERVING_DNS_NAMES, SERVING_IPS } from "../test-support/kube-apiserver/auth/tls.js";
import { kubeconfigYaml } from "../test-support/kube-apiserver/kubeconfig.js";
import { createCertificateAuthority } from "../test-support/pki/index.js";
import { identityManifests, SERVICE_IDENTITIES, type ServiceIdentity } from "./identities.js";
import { kubePaths } from "./plan.js";

/**
 * A fresh CA and serving certificate for the kube child (127.0.0.1, ::1, localhost, kubernetes.default.svc…).
 * New at every start: the server's tokens are new too, so every kubeconfig is rewritten anyway.
 */
export async function writeKubeTls(kubeDir: string): Promise<{ caPem: string }> {
  const paths = kubePaths(kubeDir);
  mkdirSync(kubeDir, { recursive: true, mode: 0o700 });
  const ca = await createCertificateAuthority("coditect-sandbox-kube-ca", 365);
  const leaf = await ca.issue({
    commonName: "kube-apiserver",
    dnsNames: SERVING_DNS_NAMES,
    ipAddresses: SERVING_IPS,
    validDays: 365,
  });
  writeFileSync(paths.ca, ca.certPem);
  writeFileSync(paths.cert, leaf.certPem);
  writeFileSync(paths.key, leaf.keyPem, { mode: 0o600 });
  return { caPem: ca.certPem };
}

/** How long the services' ServiceAccount tokens live: longer than any sandbox session. */
export const SERVICE_TOKEN_SECONDS = 30 * 24 * 3600;

/** Reads the admin token the kube child wrote into its kubeconfig. */
export function adminToken(adminKubeconfig: string): string {
  const kc = new KubeConfig();
  kc.loadFromString(readFileSync(adminKubeconfig, "utf8"));
  const token = kc.getCurrentUser()?.token;
  if (!token) throw new Error(`${adminKubeconfig} holds no bearer token for the admin user`);
  return token;
}

/**
 * Creates the services' ServiceAccounts and RBAC (identities.ts) as admin, then writes
 * `<kube>/<service>.kubeconfig` for each with a TokenRequest token. An object that already exists is
 * left as it is (the API server is in memory, so that only happens when called twice).
 */
export async function provisionServiceIdentities(options: {
  kubeDir: string;
  url: string;
  caPem: string;
  adminToken: string;
}): Promise<Record<ServiceIdentity["service"], string>> {
  const paths = kubePaths(options.kubeDir);
  const admin = new KubeConfig();
  admin.loadFromString(kubeconfigYaml({ url: options.url, caPem: options.caPem, token: options.adminToken }));
  const objects = KubernetesObjectApi.makeApiClient(admin);
  for (const manifest of identityManifests()) {
    try {
      await objects.create(manifest);
    } catch (error) {
      if (httpStatus(error) !== 409) {
        throw new Error(
          `creating ${manifest.kind} ${manifest.metadata.namespace ? `${manifest.metadata.namespace}/` : ""}${manifest.metadata.name} as admin failed: ${(error as Error).message}`,
        );
      }
    }
  }
  const core = admin.makeApiClient(CoreV1Api);
  const files = {} as Record<ServiceIdentity["service"], string>;
  for (const identity of SERVICE_IDENTITIES) {
    const request = await core.createNamespacedServiceAccountToken({
      name: identity.serviceAccount,
      namespace: identity.namespace,
      body: { spec: { audiences: [], expirationSeconds: SERVICE_TOKEN_SECONDS } },
    });
    const token = request.status?.token;
    if (!token)
      throw new Error(`TokenRequest for ${identity.namespace}/${identity.serviceAccount} returned no token`);
    const file = paths.serviceKubeconfig(identity.service);
    writeFileSync(
      file,
      kubeconfigYaml({
        url: options.url,
        caPem: options.caPem,
        token,
        contextName: `coditect-sandbox-${identity.service}`,
      }),
      { mode: 0o600 },
    );
    files[identity.service] = file;
  }
  return files;
}
