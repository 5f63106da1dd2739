/**
 * Which registry repositories a license tier may pull (ADR 0023, ADR 0200): pure decisions, no I/O.
 * Pro reads `coditect-images/…`; Enterprise reads those and `coditect-enterprise/…`; Starter has no
 * registry tier. Repository names are paths inside the registry (Artifact Registry prefixes them with the
 * project: `<project>/coditect-images/<image>`; REGISTRY_REPOSITORY_PREFIX carries that part).
 */
import type { LicenseTier } from "../../lib/domain.js";
import { ApiError } from "../http/errors.js";

export const TIER_NAMESPACES: Readonly<Record<LicenseTier, readonly string[]>> = {
  starter: [],
  pro: ["coditect-images"],
  enterprise: ["coditect-images", "coditect-enterprise"],
};

/** The repository namespaces of a tier under a prefix (`coditect-citus-prod/coditect-images`). */
export function tierRepositories(tier: LicenseTier, prefix: string): string[] {
  return TIER_NAMESPACES[tier].map((ns) => `${prefix}${ns}`);
}

/** Throws 403 `registry_not_included` for a tier without registry access (Starter, ADR 0200). */
export function requireRegistryTier(tier: LicenseTier): void {
  if (TIER_NAMESPACES[tier].length === 0) {
    throw new ApiError(
      403,
      "registry_not_included",
      `the ${tier} tier does not include the licensed container images; upgrade to pro or enterprise`,
    );
  }
}

/** Docker's repository name grammar (distribution/reference), bounded. */
const REPOSITORY_NAME = /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*(?:\/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)*$/;

export interface RequestedScope {
  repository: string;
  actions: string[];
}

/**
 * Parses one Docker token `scope` (`repository:<name>:<actions>`). Anything else is a 400 naming it:
 * a registry only asks for repository scopes when pulling.
 */
export function parseScope(scope: string): RequestedScope {
  const match = /^repository:([^:]{1,255}):([a-z*,]{1,40})$/.exec(scope);
  const name = match?.[1];
  if (!match || !name || !REPOSITORY_NAME.test(name)) {
    throw new ApiError(
      400,
      "invalid_scope",
      `scope ${JSON.stringify(scope.slice(0, 300))} is not repository:<name>:<actions>`,
    );
  }
  return { repository: name, actions: match[2]!.split(",").filter(Boolean) };
}

/** Whether a repository lies under one of the allowed namespaces (whole path segments only). */
export function repositoryAllowed(repository: string, namespaces: readonly string[]): boolean {
  return namespaces.some((ns) => repository.startsWith(`${ns}/`));
}

/**
 * What a token grants for the requested scopes: `pull` only, and only on the tier's repositories. A scope
 * outside the tier is refused with 403 (not silently dropped), so `skopeo`/`docker` report "denied" with our
 * message instead of a confusing registry 401 later.
 */
export function grantedAccess(
  requested: readonly RequestedScope[],
  namespaces: readonly string[],
): { type: "repository"; name: string; actions: string[] }[] {
  return requested.map((scope) => {
    if (!repositoryAllowed(scope.repository, namespaces)) {
      throw new ApiError(
        403,
        "repository_not_in_tier",
        `repository ${scope.repository} is not part of this license's tier (allowed: ${namespaces.map((n) => `${n}/…`).join(", ")})`,
      );
    }
    return {
      type: "repository",
      name: scope.repository,
      actions: scope.actions.includes("pull") ? ["pull"] : [],
    };
  });
}
