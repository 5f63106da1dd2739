/**
 * Docker Registry v2 token authentication credentials (the sandbox and test registry, ADR 0201): an ES256
 * JWT whose `x5c` header carries a certificate chaining to the registry's `rootcertbundle`, `aud` = the
 * registry's service, `access` = exactly the granted repositories with `pull`, lifetime ≤ 5 minutes.
 * https://distribution.github.io/distribution/spec/auth/jwt/
 */
import { randomUUID } from "node:crypto";
import { readFileSync } from "node:fs";
import { importPKCS8, SignJWT } from "jose";
import { ApiError } from "../http/errors.js";
import type { CredentialRequest, RegistryCredential, RegistryCredentialIssuer } from "./issuer.js";

/** The registry rejects tokens past exp (plus its 60 s leeway); ≤ 5 min keeps a revoked key's reach short. */
export const MAX_DOCKER_TOKEN_LIFETIME_SECONDS = 300;

export interface DockerTokenSettings {
  registry: string;
  issuer: string;
  service: string;
  /** PKCS#8 PEM of the signing key (EC P-256). */
  keyPem: string;
  /** PEM certificates: the signing certificate first, then any intermediates (root in the registry's bundle). */
  certsPem: string;
  lifetimeSeconds: number;
}

export function loadDockerTokenSettings(files: {
  registry: string;
  issuer: string;
  service: string;
  keyFile: string;
  certsFile: string;
  lifetimeSeconds: number;
}): DockerTokenSettings {
  return {
    registry: files.registry,
    issuer: files.issuer,
    service: files.service,
    keyPem: readFileSync(files.keyFile, "utf8"),
    certsPem: readFileSync(files.certsFile, "utf8"),
    lifetimeSeconds: files.lifetimeSeconds,
  };
}

function x5cChain(certsPem: string): string[] {
  const blocks = certsPem.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? [];
  if (blocks.length === 0) throw new Error("REGISTRY_TOKEN_CERTS_FILE holds no PEM certificate");
  return blocks.map((pem) => pem.replace(/-----[^-]+-----|\s/g, ""));
}

export class DockerTokenIssuer implements RegistryCredentialIssuer {
  readonly kind = "docker-token" as const;
  readonly #settings: DockerTokenSettings;
  readonly #x5c: string[];
  readonly #key: ReturnType<typeof importPKCS8>;

  constructor(settings: DockerTokenSettings) {
    if (settings.lifetimeSeconds < 1 || settings.lifetimeSeconds > MAX_DOCKER_TOKEN_LIFETIME_SECONDS) {
      throw new Error(`docker token lifetime must be 1..${MAX_DOCKER_TOKEN_LIFETIME_SECONDS} s`);
    }
    this.#settings = settings;
    this.#x5c = x5cChain(settings.certsPem);
    this.#key = importPKCS8(settings.keyPem, "ES256");
  }

  async issue(request: CredentialRequest): Promise<RegistryCredential> {
    const s = this.#settings;
    if (request.service !== undefined && request.service !== s.service) {
      throw new ApiError(
        400,
        "invalid_service",
        `service ${JSON.stringify(request.service.slice(0, 100))} is not ${s.service}`,
      );
    }
    const iat = Math.floor(request.now.getTime() / 1000);
    const exp = iat + s.lifetimeSeconds;
    const token = await new SignJWT({ access: request.access })
      .setProtectedHeader({ alg: "ES256", typ: "JWT", x5c: this.#x5c })
      .setIssuer(s.issuer)
      .setSubject(request.subject)
      .setAudience(s.service)
      .setIssuedAt(iat)
      .setNotBefore(iat - 5)
      .setExpirationTime(exp)
      .setJti(randomUUID())
      .sign(await this.#key);
    return {
      kind: this.kind,
      registry: s.registry,
      username: "license",
      secret: token,
      expiresAt: new Date(exp * 1000),
      repositories: request.access.map((a) => a.name),
    };
  }
}
