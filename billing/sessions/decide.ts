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
export function liveSince(now: Date, timing: Pick<SessionTiming, "sessionExpiryMs">): Date {
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
 * How much offline time a container has earned (issue 13 §7, ADR 0158): as long as it has been online
 * without a break, at least one seat-expiry window (30 min: what its seat stays held anyway), at most the
 * tier's grace. A container that validates and cuts its network gets 30 minutes, not the tier's days, so
 * the serial validate-and-disconnect pattern runs about two containers per seat instead of grace/30 min.
 */
export function earnedOfflineGraceMs(
  tierGraceMs: number,
  onlineSince: Date,
  lastHeartbeat: Date,
  timing: Pick<SessionTiming, "sessionExpiryMs">,
): number {
  const online = lastHeartbeat.getTime() - onlineSince.getTime();
  return Math.min(tierGraceMs, Math.max(timing.sessionExpiryMs, online));
}

/**
 * When the offline token issued at a heartbeat expires (issue 13 §7, ADRs 0157, 0158): the grace the
 * container earned (earnedOfflineGraceMs, capped by its tier's) after that heartbeat, but never past the
 * license's own end — its expiry, or while past due the end of its payment grace (then it is suspended).
 * A container must not run offline on a license that has ended.
 */
export function offlineTokenExpiry(
  license: LicenseFacts & { tier: LicenseTier },
  lastHeartbeat: Date,
  onlineSince: Date,
  timing: SessionTiming,
): Date {
  const grace = earnedOfflineGraceMs(
    timing.offlineGraceByTierMs[license.tier],
    onlineSince,
    lastHeartbeat,
    timing,
  );
  const candidates = [lastHeartbeat.getTime() + grace];
  if (license.expires_at) candidates.push(license.expires_at.getTime());
  if (license.state === "pastDue" && license.grace_ends_at) candidates.push(license.grace_ends_at.getTime());
  return new Date(Math.min(...candidates));
}

/** The session a validate replaces, as far as its online run is concerned. */
export interface ReplacedSession {
  principal?: string | null | undefined;
  last_heartbeat_at: Date;
  created_at: Date;
  online_since?: Date | null | undefined;
}

/** When a session's online run began: NULL (a row an older replica wrote) reads as its validate. */
export function onlineSinceOf(session: Pick<ReplacedSession, "created_at" | "online_since">): Date {
  return session.online_since ?? session.created_at;
}

/**
 * Where a validate's online run starts (ADR 0158). The same container and the same principal replacing
 * their own still-live session — a session-token renewal (ADR 0161) or an agent restart — continue its
 * run, so a container online for days keeps its long grace. Anything else starts fresh at `now`: a new
 * container id, a session that expired (its seat lapsed: the container was offline), another principal,
 * or a session from before principals were recorded (nothing proves it is the same holder).
 */
export function onlineSinceAtValidate(
  replaced: ReplacedSession | undefined,
  principal: string,
  now: Date,
  timing: Pick<SessionTiming, "sessionExpiryMs">,
): Date {
  if (!replaced || replaced.principal !== principal) return now;
  if (replaced.last_heartbeat_at.getTime() <= liveSince(now, timing).getTime()) return now;
  return onlineSinceOf(replaced);
}
