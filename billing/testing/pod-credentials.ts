/**
 * Test infrastructure for "billing in a pod": a TLS front for the Kubernetes API test server (a pod reaches
 * the API over https with the service account's CA; the test server speaks plain http) that records the
 * bearer tokens it sees, and a service-account directory (token, ca.crt, namespace) as the kubelet mounts it.
 */
import { mkdtempSync, writeFileSync } from "node:fs";
import { request } from "node:http";
import { createServer, type Server } from "node:https";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createCertificateAuthority } from "../../test-support/pki/index.js";

export interface TlsKubeFront {
  host: string;
  port: number;
  caPem: string;
  /** Authorization headers of every request so far. */
  authorizations: string[];
  stop(): Promise<void>;
}

/** https://127.0.0.1:PORT in front of `upstream` (http://127.0.0.1:PORT), certificate for 127.0.0.1. */
export async function startTlsKubeFront(upstream: string): Promise<TlsKubeFront> {
  const ca = await createCertificateAuthority("test kube CA");
  const leaf = await ca.issue({ commonName: "kube-apiserver", ipAddresses: ["127.0.0.1"] });
  const target = new URL(upstream);
  const authorizations: string[] = [];
  const server: Server = createServer({ cert: leaf.certPem, key: leaf.keyPem }, (req, res) => {
    authorizations.push(req.headers.authorization ?? "");
    const forward = request(
      { host: target.hostname, port: target.port, method: req.method, path: req.url, headers: req.headers },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        res.flushHeaders();
        answer.pipe(res);
      },
    );
    forward.on("error", () => res.destroy());
    req.pipe(forward);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    host: "127.0.0.1",
    port: (server.address() as AddressInfo).port,
    caPem: ca.certPem,
    authorizations,
    stop: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** A directory laid out like /var/run/secrets/kubernetes.io/serviceaccount. */
export function writeServiceAccountDir(token: string, caPem: string, namespace: string): string {
  const dir = mkdtempSync(join(tmpdir(), "billing-sa-"));
  writeFileSync(join(dir, "token"), token);
  writeFileSync(join(dir, "ca.crt"), caPem);
  writeFileSync(join(dir, "namespace"), namespace);
  return dir;
}
