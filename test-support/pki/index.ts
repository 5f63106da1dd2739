/**
 * A throwaway certificate authority for test infrastructure and the sandbox: the Kubernetes API test
 * server's serving certificate, PostgreSQL's Cloud SQL-like server certificate (no IP subject-alternative
 * name, like Cloud SQL's), client certificates. ECDSA P-256 keys, PEM out (PKCS#8 keys, as Node's TLS and
 * PostgreSQL read them). Not for production use: keys live in memory and in the files callers write.
 */
import "reflect-metadata";
import { randomBytes, webcrypto } from "node:crypto";
import * as x509 from "@peculiar/x509";

x509.cryptoProvider.set(webcrypto as never);

const ALGORITHM = { name: "ECDSA", namedCurve: "P-256", hash: "SHA-256" } as const;
const DAY_MS = 24 * 60 * 60 * 1000;

export interface KeyPairPem {
  certPem: string;
  keyPem: string;
}

export interface LeafOptions {
  commonName: string;
  /** subjectAltName DNS entries. */
  dnsNames?: string[];
  /** subjectAltName IP entries (leave empty to imitate Cloud SQL's server certificate). */
  ipAddresses?: string[];
  /** extendedKeyUsage: serverAuth (default true) and/or clientAuth. */
  serverAuth?: boolean;
  clientAuth?: boolean;
  /** Organization (kube reads client certificate O= as groups). */
  organizations?: string[];
  validDays?: number;
}

export interface CertificateAuthority extends KeyPairPem {
  /** Issues a leaf certificate signed by this CA. */
  issue(options: LeafOptions): Promise<KeyPairPem>;
}

function pem(label: string, der: ArrayBuffer): string {
  const b64 = Buffer.from(der).toString("base64");
  return `-----BEGIN ${label}-----\n${b64.match(/.{1,64}/g)!.join("\n")}\n-----END ${label}-----\n`;
}

const serial = () =>
  randomBytes(16)
    .toString("hex")
    .replace(/^[89a-f]/, "1");

function distinguishedName(commonName: string, organizations: string[] = []): string {
  const escapeValue = (v: string) => v.replace(/([,+"\\<>;=])/g, "\\$1");
  return [`CN=${escapeValue(commonName)}`, ...organizations.map((o) => `O=${escapeValue(o)}`)].join(", ");
}

/** Creates a self-signed CA valid for `validDays` (default 30). */
export async function createCertificateAuthority(
  commonName: string,
  validDays = 30,
): Promise<CertificateAuthority> {
  const keys = await webcrypto.subtle.generateKey(ALGORITHM, true, ["sign", "verify"]);
  const now = Date.now();
  const caCert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: serial(),
    name: distinguishedName(commonName),
    notBefore: new Date(now - 60_000),
    notAfter: new Date(now + validDays * DAY_MS),
    keys,
    signingAlgorithm: ALGORITHM,
    extensions: [
      new x509.BasicConstraintsExtension(true, 0, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
    ],
  });
  const caKeyPem = pem("PRIVATE KEY", await webcrypto.subtle.exportKey("pkcs8", keys.privateKey));

  return {
    certPem: caCert.toString("pem"),
    keyPem: caKeyPem,
    async issue(options) {
      const leafKeys = await webcrypto.subtle.generateKey(ALGORITHM, true, ["sign", "verify"]);
      const usages: string[] = [];
      if (options.serverAuth ?? true) usages.push(x509.ExtendedKeyUsage.serverAuth);
      if (options.clientAuth) usages.push(x509.ExtendedKeyUsage.clientAuth);
      const altNames = [
        ...(options.dnsNames ?? []).map((value) => ({ type: "dns" as const, value })),
        ...(options.ipAddresses ?? []).map((value) => ({ type: "ip" as const, value })),
      ];
      const issued = Date.now();
      const cert = await x509.X509CertificateGenerator.create({
        serialNumber: serial(),
        subject: distinguishedName(options.commonName, options.organizations),
        issuer: caCert.subject,
        notBefore: new Date(issued - 60_000),
        notAfter: new Date(issued + (options.validDays ?? validDays) * DAY_MS),
        publicKey: leafKeys.publicKey,
        signingKey: keys.privateKey,
        signingAlgorithm: ALGORITHM,
        extensions: [
          new x509.BasicConstraintsExtension(false, undefined, true),
          new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
          new x509.ExtendedKeyUsageExtension(usages, false),
          await x509.AuthorityKeyIdentifierExtension.create(keys.publicKey),
          ...(altNames.length > 0 ? [new x509.SubjectAlternativeNameExtension(altNames, false)] : []),
        ],
      });
      return {
        certPem: cert.toString("pem"),
        keyPem: pem("PRIVATE KEY", await webcrypto.subtle.exportKey("pkcs8", leafKeys.privateKey)),
      };
    },
  };
}
