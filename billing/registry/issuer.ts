/**
 * The one interface behind which billing mints registry credentials (ADR 0201), chosen by
 * REGISTRY_CREDENTIALS: `docker-token` (the sandbox's docker-registry with Docker token auth) or
 * `google-access-token` (Artifact Registry through IAM Credentials impersonation, production).
 */
import type { LicenseTier } from "../../lib/domain.js";

export interface RegistryCredential {
  kind: "docker-token" | "google-access-token";
  /** Host to `docker login` to. */
  registry: string;
  username: string;
  /** The token: shown once to the caller, never stored or logged. */
  secret: string;
  expiresAt: Date;
  /** Repository namespaces (or, for docker tokens, repositories) the credential reads. */
  repositories: string[];
}

export interface CredentialRequest {
  tier: LicenseTier;
  /** Who the credential is for (`license:<id>`), the token's subject. */
  subject: string;
  /** Repositories requested (docker tokens grant exactly these, already checked against the tier). */
  access: { type: "repository"; name: string; actions: string[] }[];
  /** Requested audience (`service`), checked by the issuer. */
  service?: string | undefined;
  now: Date;
}

export interface RegistryCredentialIssuer {
  readonly kind: RegistryCredential["kind"];
  issue(request: CredentialRequest): Promise<RegistryCredential>;
}
