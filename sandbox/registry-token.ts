/**
 * The sandbox registry's Docker token authentication (issue 15, ADR 0201): the registry trusts one CA, and
 * billing (the realm) signs pull tokens with a leaf of it. The sandbox owns this key pair, generated once
 * under <data>/registry-token/ (kept across restarts, thrown away by --reset), so it is also the publisher:
 * it mints its own short push token with the same key, subject `sandbox-publisher`, to push and sign the
 * licensed image. Billing never grants push (billing/registry/tiers.ts), so licenses cannot push.
 * Sandbox only: production pulls from Artifact Registry with Google access tokens.
 */
import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { DockerTokenIssuer, loadDockerTokenSettings } from "../billing/registry/docker-token.js";
import { createCertificateAuthority } from "../test-support/pki/index.js";

/** The `service` (token audience) and `iss` shared by billing's REGISTRY_TOKEN_* and the registry's config. */
export const SANDBOX_REGISTRY_TOKEN = {
  service: "coditect-sandbox-registry",
  issuer: "coditect-sandbox-billing",
  /** Billing's pull tokens and the publisher's push tokens live 5 minutes (the registry's bound). */
  lifetimeSeconds: 300,
  publisherSubject: "sandbox-publisher",
} as const;

export function registryTokenPaths(dataDir: string) {
  const dir = join(dataDir, "registry-token");
  return {
    dir,
    /** PKCS#8 key of the signing leaf (billing's REGISTRY_TOKEN_KEY_FILE). */
    key: join(dir, "key.pem"),
    /** The leaf certificate then the CA (billing's REGISTRY_TOKEN_CERTS_FILE, sent as x5c). */
    certs: join(dir, "certs.pem"),
    /** The CA alone: the registry's rootcertbundle. */
    ca: join(dir, "ca.pem"),
  };
}

/** Creates the CA and the signing leaf once (ten years: a sandbox data dir may live long). */
export async function ensureRegistryTokenKey(dataDir: string): Promise<void> {
  const paths = registryTokenPaths(dataDir);
  if (existsSync(paths.key) && existsSync(paths.certs) && existsSync(paths.ca)) return;
  mkdirSync(paths.dir, { recursive: true, mode: 0o700 });
  const ca = await createCertificateAuthority("coditect-sandbox-registry-token-ca", 3650);
  const leaf = await ca.issue({ commonName: "coditect-sandbox-registry-token-signer", validDays: 3650 });
  writeFileSync(paths.ca, ca.certPem);
  writeFileSync(paths.certs, `${leaf.certPem}${ca.certPem}`);
  writeFileSync(paths.key, leaf.keyPem, { mode: 0o600 });
}

/** A 5-minute push+pull token for the given repositories, signed as billing's tokens are. */
export async function mintPublisherToken(
  dataDir: string,
  registry: string,
  repositories: string[],
  now = new Date(),
): Promise<string> {
  const paths = registryTokenPaths(dataDir);
  const issuer = new DockerTokenIssuer(
    loadDockerTokenSettings({
      registry,
      issuer: SANDBOX_REGISTRY_TOKEN.issuer,
      service: SANDBOX_REGISTRY_TOKEN.service,
      keyFile: paths.key,
      certsFile: paths.certs,
      lifetimeSeconds: SANDBOX_REGISTRY_TOKEN.lifetimeSeconds,
    }),
  );
  const credential = await issuer.issue({
    tier: "enterprise",
    subject: SANDBOX_REGISTRY_TOKEN.publisherSubject,
    access: repositories.map((name) => ({ type: "repository", name, actions: ["pull", "push"] })),
    service: SANDBOX_REGISTRY_TOKEN.service,
    now,
  });
  return credential.secret;
}
