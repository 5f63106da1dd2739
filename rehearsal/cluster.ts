/**
 * The rehearsal's cluster: the Kubernetes API test server over TLS with RBAC enforced (C1), the rendered
 * CRDs, Namespaces, ServiceAccounts and RBAC applied with the admin credential, and a token per
 * ServiceAccount for the projected volume.
 *
 * Adapter: until C1 (`startKubeApiServer({ tls, rbac })`) is in this checkout, the server is put behind a
 * local TLS-terminating proxy (client-node's in-cluster config always speaks https), ServiceAccounts and RBAC
 * objects the server does not serve are skipped, and `rbacEnforced` is false — the rehearsal then says so
 * and cannot PASS.
 */
import { request as httpRequest } from "node:http";
import { createServer as createHttpsServer, request as httpsRequest, type Server } from "node:https";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { startKubeApiServer } from "../test-support/kube-apiserver/index.js";
import { createCertificateAuthority } from "../test-support/pki/index.js";
import type { KubeManifest } from "./render.js";

export interface DeniedRequest {
  user: string;
  verb: string;
  resource: string;
  subresource?: string;
  apiGroup: string;
  namespace?: string;
  name?: string;
  message: string;
}

export interface RehearsalCluster {
  host: string;
  port: number;
  caPem: string;
  /** Whether RBAC is enforced (C1 present). */
  rbacEnforced: boolean;
  /** Admin request against the API (JSON in and out); throws with the Status message on >= 400. */
  request(method: string, path: string, body?: unknown): Promise<{ status: number; body: unknown }>;
  apply(manifest: KubeManifest): Promise<"created" | "skipped">;
  serviceAccountToken(namespace: string, name: string): Promise<string>;
  deniedRequests(): DeniedRequest[];
  stop(): Promise<void>;
}

/** REST collection path of a manifest (the kinds the rehearsal applies). Pure. */
export function collectionPath(m: KubeManifest): string {
  const [group, version] = m.apiVersion.includes("/") ? m.apiVersion.split("/") : ["", m.apiVersion];
  const plural: Record<string, string> = {
    CustomResourceDefinition: "customresourcedefinitions",
    Namespace: "namespaces",
    ServiceAccount: "serviceaccounts",
    Role: "roles",
    ClusterRole: "clusterroles",
    RoleBinding: "rolebindings",
    ClusterRoleBinding: "clusterrolebindings",
    ConfigMap: "configmaps",
    SecretProviderClass: "secretproviderclasses",
  };
  const resource = plural[m.kind];
  if (!resource) throw new Error(`the rehearsal does not apply ${m.kind} ${m.metadata.name}`);
  const base = group ? `/apis/${group}/${version}` : `/api/${version}`;
  return m.metadata.namespace
    ? `${base}/namespaces/${m.metadata.namespace}/${resource}`
    : `${base}/${resource}`;
}

type C1Server = Awaited<ReturnType<typeof startKubeApiServer>> & {
  caPem?: string;
  adminToken?: string;
  serviceAccountToken?: (ns: string, name: string, seconds?: number) => Promise<string>;
  deniedRequests?: () => DeniedRequest[];
};

function jsonRequest(
  url: URL,
  method: string,
  headers: Record<string, string>,
  body: unknown,
  caPem?: string,
): Promise<{ status: number; body: unknown }> {
  return new Promise((resolve, reject) => {
    const send = url.protocol === "https:" ? httpsRequest : httpRequest;
    const req = send(
      url,
      {
        method,
        headers: { ...headers, "content-type": "application/json", accept: "application/json" },
        ...(caPem ? { ca: caPem } : {}),
      },
      (res) => {
        let text = "";
        res.on("data", (c) => {
          text += c;
        });
        res.on("end", () => {
          let parsed: unknown = text;
          try {
            parsed = JSON.parse(text);
          } catch {
            // not JSON
          }
          resolve({ status: res.statusCode ?? 0, body: parsed });
        });
      },
    );
    req.on("error", reject);
    req.end(body === undefined ? undefined : JSON.stringify(body));
  });
}

/** A TLS front for a plain-http server (adapter until C1 lands). */
async function tlsProxy(upstream: URL): Promise<{ server: Server; caPem: string; port: number }> {
  const ca = await createCertificateAuthority("rehearsal kube CA");
  const leaf = await ca.issue({
    commonName: "kube-apiserver",
    dnsNames: ["localhost", "kubernetes.default.svc", "kubernetes.default.svc.cluster.local"],
    ipAddresses: ["127.0.0.1"],
  });
  const server = createHttpsServer({ cert: leaf.certPem, key: leaf.keyPem }, (req, res) => {
    const up = httpRequest(
      new URL(req.url ?? "/", upstream),
      { method: req.method, headers: req.headers },
      (upRes) => {
        res.writeHead(upRes.statusCode ?? 502, upRes.headers);
        res.flushHeaders();
        upRes.pipe(res);
      },
    );
    up.on("error", () => res.destroy());
    req.pipe(up);
    res.on("close", () => up.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return { server, caPem: ca.certPem, port: (server.address() as AddressInfo).port };
}

export async function startRehearsalCluster(root: string): Promise<RehearsalCluster> {
  // CRDs come from the rendered manifests, not crds/: what is applied is what pulumi would apply.
  const server = (await startKubeApiServer({ tls: true, rbac: true } as never)) as C1Server;
  void join(root);
  const c1 = typeof server.serviceAccountToken === "function" && typeof server.adminToken === "string";
  let proxy: Awaited<ReturnType<typeof tlsProxy>> | undefined;
  let caPem: string;
  let base: URL;
  if (c1) {
    caPem = server.caPem!;
    base = new URL(server.url);
  } else {
    proxy = await tlsProxy(new URL(server.url));
    caPem = proxy.caPem;
    base = new URL(`https://127.0.0.1:${proxy.port}`);
  }
  const adminHeaders = { authorization: `Bearer ${c1 ? server.adminToken : "rehearsal-admin"}` };
  const request = (method: string, path: string, body?: unknown) =>
    jsonRequest(new URL(path, base), method, adminHeaders, body, caPem);
  return {
    host: base.hostname,
    port: Number(base.port),
    caPem,
    rbacEnforced: c1,
    request,
    async apply(manifest) {
      const res = await request("POST", collectionPath(manifest), manifest);
      if (res.status < 300) return "created";
      const message = (res.body as { message?: string })?.message ?? JSON.stringify(res.body);
      // Adapter: today's server does not serve these kinds; C1 does.
      if (!c1 && res.status === 404 && /ServiceAccount|Role/.test(manifest.kind)) return "skipped";
      throw new Error(
        `applying ${manifest.kind} ${manifest.metadata.name} failed (${res.status}): ${message}`,
      );
    },
    async serviceAccountToken(namespace, name) {
      if (c1) return server.serviceAccountToken!(namespace, name);
      return `rehearsal-unverified-token-${namespace}-${name}`;
    },
    deniedRequests: () => (c1 ? server.deniedRequests!() : []),
    async stop() {
      if (proxy) {
        proxy.server.closeAllConnections();
        await new Promise<void>((resolve) => proxy!.server.close(() => resolve()));
      }
      await server.stop();
    },
  };
}
