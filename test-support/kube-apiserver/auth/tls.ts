/**
 * Serving certificate for the API test server, like kube-apiserver's self-signed one: a fresh CA (from
 * test-support/pki) and a certificate for the names clients use to reach an API server — 127.0.0.1, ::1,
 * localhost and the in-cluster kubernetes.default.svc names — or material the caller gives.
 */
import { createCertificateAuthority } from "../../pki/index.js";

export interface TlsMaterial {
  caPem: string;
  certPem: string;
  keyPem: string;
}

export const SERVING_DNS_NAMES = [
  "localhost",
  "kubernetes",
  "kubernetes.default",
  "kubernetes.default.svc",
  "kubernetes.default.svc.cluster.local",
];
export const SERVING_IPS = ["127.0.0.1", "::1"];

export async function generateServingMaterial(): Promise<TlsMaterial> {
  const ca = await createCertificateAuthority("coditect-kube-apiserver-ca");
  const leaf = await ca.issue({
    commonName: "kube-apiserver",
    dnsNames: SERVING_DNS_NAMES,
    ipAddresses: SERVING_IPS,
  });
  return { caPem: ca.certPem, certPem: leaf.certPem, keyPem: leaf.keyPem };
}

/** `true` → generated material; an object → that material (all three PEMs required). */
export async function resolveTls(tls: boolean | TlsMaterial | undefined): Promise<TlsMaterial | undefined> {
  if (!tls) return undefined;
  if (tls === true) return generateServingMaterial();
  for (const key of ["caPem", "certPem", "keyPem"] as const) {
    if (typeof tls[key] !== "string" || !tls[key].includes("-----BEGIN"))
      throw new Error(
        `tls.${key} must be a PEM string, got ${typeof tls[key] === "string" ? "text without a PEM header" : typeof tls[key]}`,
      );
  }
  return tls;
}
