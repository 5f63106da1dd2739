/**
 * Workstation identity: a workstation container has no license key; it presents a Google-signed identity
 * token (metadata server, audience = the license server) AND its workstation's own credential (ADR 0150).
 * We verify the token against Google's JWKS (configurable: tests use a local JWKS and keys they generate)
 * and require it to come from one of the configured workstation service accounts. That proves "a
 * workstation of ours", not which one — every workstation runs as the same service account. Which one is
 * proved by the credential: the Workstation resource is found by an exact label match on the container id
 * (WORKSTATION_ID_LABEL, written by the operator), and the credential must hash to the value the operator
 * recorded in its status. Then its License gives the license row.
 *
 * Every refusal after the token check is one answer (`workstation_unknown`): unknown id, wrong credential,
 * workstation without a license look the same, so a caller cannot enumerate workstation ids.
 */
import type { JSONWebKeySet } from "jose";
import type { Clock } from "../../lib/clock.js";
import { workstationCredentialMatches } from "../../lib/workstation-credential.js";
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

/** Who a validated workstation container is: its license and the principal its sessions belong to. */
export interface WorkstationIdentity {
  licenseId: string;
  /** `workstation:<namespace>/<name>`: stable across credential rotations and container restarts. */
  principal: string;
}

export interface IdentityVerifier {
  /** The workstation `containerId` is, if the token and its credential prove it; throws ApiError 403. */
  licenseFor(identityToken: string, containerId: string, credential: string): Promise<WorkstationIdentity>;
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
    async licenseFor(identityToken, containerId, credential) {
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
      // One answer for "no such workstation", "not this workstation's credential" and "a workstation
      // without a license": a caller holding a workstation identity must not learn which ids exist, nor
      // their organizations (issue 13).
      const notEntitled = () =>
        new ApiError(
          403,
          "workstation_unknown",
          `container ${containerId} is not a licensed workstation this identity can validate`,
        );
      const workstation = await cluster.findWorkstation(containerId);
      const namespace = workstation?.metadata?.namespace;
      const name = workstation?.metadata?.name;
      if (!workstation || !namespace || !name) throw notEntitled();
      if (!workstationCredentialMatches(credential, workstation.status?.credentialHash)) throw notEntitled();
      const licenseId = await cluster.licenseIdOf(namespace, workstation.spec.licenseRef.name);
      if (!licenseId) throw notEntitled();
      return { licenseId, principal: `workstation:${namespace}/${name}` };
    },
  };
}
