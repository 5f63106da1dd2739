/**
 * Workstation identity: a workstation container has no license key; it presents a Google-signed identity
 * token (metadata server, audience = the license server) instead. We verify the token against Google's
 * JWKS (configurable: tests use a local JWKS and keys they generate), require it to come from one of the
 * configured workstation service accounts, and map the container id through its Workstation resource to
 * the License and so to the license row.
 *
 * Limitation (seed-notes D12): the token identifies the workstation's service account, not the VM, so it
 * proves "a workstation of ours" and the container id chooses which one. See docs/sessions.md.
 */
import type { JSONWebKeySet } from "jose";
import type { Clock } from "../../lib/clock.js";
import { ApiError } from "../http/errors.js";
import { GOOGLE_ISSUERS, GOOGLE_JWKS_URL, googleJwtVerifier } from "../http/google-jwt.js";
import type { SessionCluster } from "./cluster.js";

export { GOOGLE_ISSUERS, GOOGLE_JWKS_URL };

export interface IdentityConfig {
  /** Google's JWKS URL, or a JWKS document (tests). */
  jwks: string | JSONWebKeySet;
  /** Expected `aud`: the license server's public URL. */
  audience: string;
  /** Service-account emails workstations run as; a token from any other identity is refused. */
  serviceAccounts: string[];
  issuers?: string[];
}

export interface IdentityVerifier {
  /** The license id the workstation container belongs to; throws ApiError 403 otherwise. */
  licenseFor(identityToken: string, containerId: string): Promise<string>;
}

export function identityVerifier(
  config: IdentityConfig,
  cluster: SessionCluster,
  clock: Clock,
): IdentityVerifier {
  const verify = googleJwtVerifier(
    {
      jwks: config.jwks,
      issuers: config.issuers ?? GOOGLE_ISSUERS,
      // Read at each verification, as before: a test sets the audience once its server listens.
      get audience() {
        return config.audience;
      },
      algorithms: ["RS256", "ES256"],
      requireVerifiedEmail: true,
    },
    clock,
  );
  const allowed = new Set(config.serviceAccounts.map((e) => e.toLowerCase()));
  return {
    async licenseFor(identityToken, containerId) {
      let email: string;
      try {
        ({ email } = await verify(identityToken));
      } catch (error) {
        throw new ApiError(
          403,
          "identity_invalid",
          `identity token not accepted: ${(error as Error).message}`,
        );
      }
      if (!allowed.has(email)) {
        throw new ApiError(
          403,
          "identity_not_allowed",
          `identity ${email} is not a workstation service account`,
        );
      }
      // One answer for "no such workstation" and "a workstation without a license": a caller holding a
      // workstation identity must not learn which ids exist, nor their organizations (issue 13).
      const notEntitled = () =>
        new ApiError(
          403,
          "workstation_unknown",
          `container ${containerId} is not a licensed workstation this identity can validate`,
        );
      const workstation = await cluster.findWorkstation(containerId);
      const namespace = workstation?.metadata?.namespace;
      if (!workstation || !namespace) throw notEntitled();
      const licenseId = await cluster.licenseIdOf(namespace, workstation.spec.licenseRef.name);
      if (!licenseId) throw notEntitled();
      return licenseId;
    },
  };
}
