/**
 * A Docker Registry v2 token server for tests: answers `GET /token?service=…&scope=…` with a JWT signed by
 * a throwaway CA's leaf (x5c header), granting the requested scopes to one username/password (Basic). Lets
 * the registry harness run with `auth: token`, as Artifact Registry does, so the signing tools' token flow
 * is exercised against the real registry.
 *
 * Test infrastructure.
 */
import crypto from "node:crypto";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { importPKCS8, SignJWT } from "jose";
import { createCertificateAuthority } from "../pki/index.js";
import type { RegistryTokenAuth } from "./index.js";

export interface TokenServer {
  auth: RegistryTokenAuth;
  /** Scopes granted so far (one entry per token request). */
  granted: string[][];
  stop(): Promise<void>;
}

export async function startTokenServer(credentials: {
  username: string;
  password: string;
}): Promise<TokenServer> {
  const ca = await createCertificateAuthority("registry-token-ca");
  const leaf = await ca.issue({ commonName: "registry-token-signer" });
  const key = await importPKCS8(leaf.keyPem, "ES256");
  const x5c = [leaf.certPem, ca.certPem].map((pem) => pem.replace(/-----[^-]+-----|\s/g, ""));
  const service = "coditect-test-registry";
  const issuer = "coditect-test-token-issuer";
  const granted: string[][] = [];
  const expected = `Basic ${Buffer.from(`${credentials.username}:${credentials.password}`).toString("base64")}`;

  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? "/", "http://localhost");
    if (url.pathname !== "/token" || req.headers.authorization !== expected) {
      res.writeHead(401, { "content-type": "application/json" }).end('{"error":"unauthorized"}');
      return;
    }
    const scopes = url.searchParams.getAll("scope");
    granted.push(scopes);
    const access = scopes.map((scope) => {
      const [type, name, actions] = scope.split(":");
      return { type, name, actions: (actions ?? "").split(",").filter(Boolean) };
    });
    const now = Math.floor(Date.now() / 1000);
    void new SignJWT({ access })
      .setProtectedHeader({ alg: "ES256", typ: "JWT", x5c })
      .setIssuer(issuer)
      .setSubject(credentials.username)
      .setAudience(url.searchParams.get("service") ?? service)
      .setIssuedAt(now)
      .setNotBefore(now - 30)
      .setExpirationTime(now + 300)
      .setJti(crypto.randomUUID())
      .sign(key)
      .then((token) =>
        res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify({ token })),
      );
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    auth: { realm: `http://127.0.0.1:${port}/token`, service, issuer, rootCertBundlePem: ca.certPem },
    granted,
    stop: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
