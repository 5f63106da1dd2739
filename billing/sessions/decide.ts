/**
 * Pure decisions of the sessions API: whether a license may hold sessions, whether a seat is free, and
 * what a heartbeat tells the container. The handlers (service.ts) only gather inputs and apply these.
 */
import {
  LICENSE_TIERS,
  type LicenseState,
  type LicenseTier,
  licenseStateEntitles,
  TIMING,
} from "../../lib/domain.js";

/** Timing the sessions API works with; TIMING by default, shortened in end-to-end tests. */
export interface SessionTiming {
  heartbeatIntervalMs: number;
  sessionExpiryMs: number;
  /** Offline grace per license tier (LICENSE_TIERS, ADR 0157). */
  offlineGraceByTierMs: Record<LicenseTier, number>;
  expiringSoonMs: number;
  /** Absolute lifetime of a session token from its validate (ADR 0161); then the container validates again. */
  sessionTokenLifetimeMs: number;
}

/** 24 h: the seeds' daily session sweep (ADR 0070) as a bound on how long one leaked token is worth anything. */
export const DEFAULT_SESSION_TOKEN_LIFETIME_MS = 24 * 60 * 60 * 1000;

export const DEFAULT_SESSION_TIMING: SessionTiming = {
  heartbeatIntervalMs: TIMING.heartbeatIntervalMs,
  sessionExpiryMs: TIMING.sessionExpiryMs,
  offlineGraceByTierMs: {
    starter: LICENSE_TIERS.starter.offlineGraceMs,
    pro: LICENSE_TIERS.pro.offlineGraceMs,
    enterprise: LICENSE_TIERS.enterprise.offlineGraceMs,
  },
  expiringSoonMs: TIMING.expiringSoonMs,
  sessionTokenLifetimeMs: DEFAULT_SESSION_TOKEN_LIFETIME_MS,
};

/** When a session token issued at `issuedAt` (its session's validate) stops being accepted. */
export function sessionTokenExpiresAt(issuedAt: Date, timing: SessionTiming): Date {
  return new Date(issuedAt.getTime() + timing.sessionTokenLifetimeMs);
}

export interface LicenseFacts {
  state: LicenseState;
  state_reason: string;
  expires_at: Date | null;
  grace_ends_at: Date | null;
  max_containers: number | null;
}

/** Reason codes of a 403 at validate (and of a session ended for its license). */
export type LicenseRefusalCode = "license_revoked" | "license_suspended" | "license_expired";

/** CamelCase reasons written to a ContainerSession when its license ends it. */
export const REFUSAL_TO_SESSION_REASON: Record<LicenseRefusalCode, string> = {
  license_revoked: "LicenseRevoked",
  license_suspended: "LicenseSuspended",
  license_expired: "LicenseExpired",
};

/**
 * Why this license cannot hold sessions now, or null when it can. A license past its expires_at counts as
 * expired even before billing's next re-decision writes the state.
 */
export function licenseRefusal(
  license: LicenseFacts,
  now: Date,
): { code: LicenseRefusalCode; message: string } | null {
  if (license.state === "revoked")
    return { code: "license_revoked", message: `license revoked (${license.state_reason})` };
  if (license.state === "suspended") {
    return { code: "license_suspended", message: `license suspended (${license.state_reason})` };
  }
  if (license.state === "expired" || (license.expires_at && license.expires_at.getTime() <= now.getTime())) {
    return { code: "license_expired", message: "license expired" };
  }
  if (!licenseStateEntitles(license.state))
    return { code: "license_suspended", message: `license is ${license.state}` };
  return null;
}

/** Seat admission given the live-session count read under the license row lock. */
export function seatDecision(
  maxContainers: number | null,
  liveSessions: number,
): { admit: true } | { admit: false; limit: number } {
  if (maxContainers === null || liveSessions < maxContainers) return { admit: true };
  return { admit: false, limit: maxContainers };
}

/**
 * What a validate does with the active session its container id already holds on the license (issue 13
 * §1): the same principal — the same license key, or the same bound workstation — is that container
 * restarting, and replaces its session; anyone else claiming the id is refused and the session stays
 * untouched. A session started before principals were recorded (null) is replaced as before (ADR 0151).
 */
export function containerClaim(
  existingPrincipal: string | null | undefined,
  principal: string,
): "supersede" | "conflict" {
  if (existingPrincipal === null || existingPrincipal === undefined) return "supersede";
  return existingPrincipal === principal ? "supersede" : "conflict";
}

/** A session is live (holds its seat) while active and heartbeated within the expiry window. */
export function liveSince(now: Date, timing: SessionTiming): Date {
  return new Date(now.getTime() - timing.sessionExpiryMs);
}

/** The heartbeat answer for an entitled license: `warning` when it is past due or about to expire. */
export function heartbeatAdvice(
  license: LicenseFacts,
  now: Date,
  timing: SessionTiming,
): { status: "ok" | "warning"; message: string } {
  if (license.state === "pastDue") {
    const until = license.grace_ends_at ? ` until ${license.grace_ends_at.toISOString()}` : "";
    return { status: "warning", message: `payment past due: the license stays valid${until}` };
  }
  if (license.expires_at) {
    const left = license.expires_at.getTime() - now.getTime();
    if (left <= timing.expiringSoonMs) {
      const days = Math.max(1, Math.ceil(left / 86_400_000));
      return {
        status: "warning",
        message: `license expires in ${days} day${days === 1 ? "" : "s"} (${license.expires_at.toISOString()})`,
      };
    }
  }
  return { status: "ok", message: "session active" };
}

/**
 * When the offline token issued at a heartbeat expires (issue 13 §7, ADR 0157): the tier's offline grace
 * after that heartbeat, but never past the license's own end — its expiry, or while past due the end of
 * its payment grace (then it is suspended). A container must not run offline on a license that has ended.
 */
export function offlineTokenExpiry(
  license: LicenseFacts & { tier: LicenseTier },
  lastHeartbeat: Date,
  timing: SessionTiming,
): Date {
  const candidates = [lastHeartbeat.getTime() + timing.offlineGraceByTierMs[license.tier]];
  if (license.expires_at) candidates.push(license.expires_at.getTime());
  if (license.state === "pastDue" && license.grace_ends_at) candidates.push(license.grace_ends_at.getTime());
  return new Date(Math.min(...candidates));
}
