import { X509Certificate } from "node:crypto";
import { once } from "node:events";
import type { AddressInfo } from "node:net";
import { connect, createServer } from "node:tls";
import { describe, expect, it } from "vitest";
import { createCertificateAuthority } from "./index.js";

/** Opens a TLS connection to a server holding `leaf` and reports whether the client accepted it. */
async function handshake(
  leaf: { certPem: string; keyPem: string },
  caPem: string,
  servername: string,
  host = "127.0.0.1",
): Promise<{ ok: true } | { ok: false; code: string }> {
  const server = createServer({ cert: leaf.certPem, key: leaf.keyPem }, (s) => s.end());
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  const { port } = server.address() as AddressInfo;
  try {
    return await new Promise((resolve) => {
      const socket = connect({ host, port, ca: caPem, servername }, () => {
        socket.end();
        resolve({ ok: true });
      });
      socket.on("error", (e: NodeJS.ErrnoException) => resolve({ ok: false, code: e.code ?? e.message }));
    });
  } finally {
    server.close();
  }
}

describe("test certificate authority", () => {
  it("issues a server certificate a TLS client verifies against the CA, by DNS name and by IP", async () => {
    const ca = await createCertificateAuthority("coditect test CA");
    const leaf = await ca.issue({ commonName: "kube", dnsNames: ["localhost"], ipAddresses: ["127.0.0.1"] });
    expect(await handshake(leaf, ca.certPem, "localhost")).toEqual({ ok: true });
    const cert = new X509Certificate(leaf.certPem);
    expect(cert.checkIssued(new X509Certificate(ca.certPem))).toBe(true);
    expect(cert.subjectAltName).toContain("IP Address:127.0.0.1");
  });

  it("a certificate without an IP entry fails hostname verification for the IP (as Cloud SQL's does)", async () => {
    const ca = await createCertificateAuthority("cloudsql-like CA");
    const leaf = await ca.issue({ commonName: "project:instance" });
    const result = await handshake(leaf, ca.certPem, "");
    expect(result).toEqual({ ok: false, code: "ERR_TLS_CERT_ALTNAME_INVALID" });
  });

  it("a certificate from another CA is refused", async () => {
    const ca = await createCertificateAuthority("one");
    const other = await createCertificateAuthority("other");
    const leaf = await other.issue({ commonName: "x", dnsNames: ["localhost"] });
    const result = await handshake(leaf, ca.certPem, "localhost");
    expect(result.ok).toBe(false);
  });

  it("puts organizations into the subject (kube reads them as groups of a client certificate)", async () => {
    const ca = await createCertificateAuthority("ca");
    const leaf = await ca.issue({ commonName: "admin", organizations: ["system:masters"], clientAuth: true });
    expect(new X509Certificate(leaf.certPem).subject).toContain("O=system:masters");
  });
});
