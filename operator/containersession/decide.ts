/**
 * decideSession: the ContainerSession reconciler's whole policy as one pure function of (session, its
 * License, the license's other active sessions, now). A chain of named checks, first match wins:
 *
 *   ended          → keep until the retention deadline, then delete (only once its end is audited)
 *   licenseLapsed  → terminate: LicenseRevoked / LicenseSuspended / LicenseExpired
 *   heartbeatMissed→ expire after 30 min without a heartbeat (the seat is free again)
 *   overQuota      → after a downgrade, terminate the newest sessions beyond the new limit
 *   active         → conditions; warn (HeartbeatLate) 20 min after the last heartbeat
 *
 * Every deadline is returned as `requeueAt`, so time-based work needs no polling (the informer's periodic
 * relist is the safety sweep).
 */
import type { Condition, ContainerSession, ContainerSessionStatus, License } from "../../crds/types.js";
import { LONGEST_OFFLINE_GRACE_MS, TIMING } from "../../lib/domain.js";
import {
  applyCondition,
  SessionReason as R,
  type SessionConditionSpec,
  SessionConditionType as T,
} from "./reasons.js";

export const AUDIT_REF_ANNOTATION = "coditect.ai/audit-ref";

export interface SessionPolicy {
  expiryMs: number;
  warningMs: number;
  /** Released and terminated sessions are deleted this long after they ended. */
  endedRetentionMs: number;
  /**
   * Expired sessions are kept at least until their offline token could have expired (ADR 0070): the
   * longest grace of any tier (ADR 0158), since the resource does not say which tier's grace it got.
   */
  offlineGraceMs: number;
}

export const DEFAULT_SESSION_POLICY: SessionPolicy = {
  expiryMs: TIMING.sessionExpiryMs,
  warningMs: TIMING.sessionWarningMs,
  endedRetentionMs: TIMING.endedSessionRetentionMs,
  offlineGraceMs: LONGEST_OFFLINE_GRACE_MS,
};

export interface SessionDecision {
  check: "ended" | "licenseLapsed" | "heartbeatMissed" | "overQuota" | "active";
  /** The status the session should have (the reconciler writes the difference). */
  status: ContainerSessionStatus;
  delete: boolean;
  /** Ended, but nothing says where its end was audited: record an Event and annotate first. */
  needsAuditRecord: boolean;
  /**
   * The end follows from the License (revoked, suspended, expired, over quota) and is recorded in the
   * License's aggregated Event series (one Event per license and reason with a count, ADR 0261), not in
   * an Event and annotation per session.
   */
  recordOnLicense?: boolean;
  event?: { type: "Normal" | "Warning"; reason: string; message: string };
  requeueAt?: Date;
}

const ENDED_STATES = new Set(["expired", "released", "terminated"]);
/** Reasons of the ends the operator derives from the License: their record is the License's Event series. */
const LICENSE_END_REASONS = new Set<string>([
  R.LicenseRevoked,
  R.LicenseSuspended,
  R.LicenseExpired,
  R.OverQuota,
]);

/**
 * Whether an ended session's end is audited: billing's ends carry the audit-ref annotation; the ends the
 * operator derived from its License are counted in the License's Event series (ADR 0261), so the
 * single status write that ends them is the only per-session write.
 */
export function endIsAudited(session: ContainerSession): boolean {
  if (session.metadata?.annotations?.[AUDIT_REF_ANNOTATION]) return true;
  return session.status?.state === "terminated" && LICENSE_END_REASONS.has(session.status?.reason ?? "");
}
const LAPSED: Record<string, string> = {
  revoked: R.LicenseRevoked,
  suspended: R.LicenseSuspended,
  expired: R.LicenseExpired,
};

export function isActive(session: ContainerSession): boolean {
  return !ENDED_STATES.has(session.status?.state ?? "active");
}

function lastHeartbeat(session: ContainerSession): number {
  return Date.parse(
    session.status?.lastHeartbeatTime ?? session.metadata?.creationTimestamp ?? "1970-01-01T00:00:00Z",
  );
}

function withConditions(
  status: ContainerSessionStatus,
  specs: SessionConditionSpec[],
  now: Date,
): Condition[] {
  return specs.reduce<Condition[]>((acc, spec) => applyCondition(acc, spec, now), status.conditions ?? []);
}

function end(
  session: ContainerSession,
  state: "expired" | "terminated",
  reason: string,
  message: string,
  now: Date,
  check: SessionDecision["check"],
): SessionDecision {
  const current = session.status ?? {};
  const conditions = withConditions(current, [{ type: T.Ready, status: "False", reason, message }], now);
  return {
    check,
    status: { ...current, state, reason, endedAt: now.toISOString(), conditions },
    delete: false,
    needsAuditRecord: false,
    ...(LICENSE_END_REASONS.has(reason) ? { recordOnLicense: true } : {}),
    event: { type: "Warning", reason, message },
    // Come back when it may be deleted.
    requeueAt: new Date(now.getTime() + 1),
  };
}

/**
 * Ordering for "newest beyond the limit": oldest first, by creation time then name, so the sessions
 * that keep their seats are the ones that held them longest.
 */
export function seatOrder(a: ContainerSession, b: ContainerSession): number {
  const ta = Date.parse(a.metadata?.creationTimestamp ?? "") || 0;
  const tb = Date.parse(b.metadata?.creationTimestamp ?? "") || 0;
  return ta - tb || (a.metadata?.name ?? "").localeCompare(b.metadata?.name ?? "");
}

export function decideSession(
  session: ContainerSession,
  license: License | undefined,
  now: Date,
  activeSessionsOfLicense: readonly ContainerSession[],
  policy: SessionPolicy = DEFAULT_SESSION_POLICY,
): SessionDecision {
  const status = session.status ?? {};
  const nowMs = now.getTime();
  const heartbeatAt = lastHeartbeat(session);

  // ended: keep, then delete once retention is over and the end is audited.
  if (!isActive(session)) {
    const endedAt = Date.parse(status.endedAt ?? "") || nowMs;
    let keepUntil = endedAt + policy.endedRetentionMs;
    // An expired session may still come back on its offline token; keep it as long as that is possible.
    if (status.state === "expired") keepUntil = Math.max(keepUntil, heartbeatAt + policy.offlineGraceMs);
    const audited = endIsAudited(session);
    const due = nowMs >= keepUntil;
    return {
      check: "ended",
      status: { ...status, ...(status.endedAt ? {} : { endedAt: now.toISOString() }) },
      delete: due && audited,
      needsAuditRecord: !audited,
      ...(due && audited ? {} : { requeueAt: new Date(due ? nowMs + 1 : keepUntil) }),
    };
  }

  const lapsedReason = license ? LAPSED[license.spec.state] : undefined;
  if (license && lapsedReason) {
    return end(
      session,
      "terminated",
      lapsedReason,
      `license ${license.metadata?.name} is ${license.spec.state}`,
      now,
      "licenseLapsed",
    );
  }

  if (nowMs >= heartbeatAt + policy.expiryMs) {
    const minutes = Math.round(policy.expiryMs / 60_000);
    return end(
      session,
      "expired",
      R.HeartbeatMissed,
      `no heartbeat for ${minutes} minutes; the seat is free again`,
      now,
      "heartbeatMissed",
    );
  }

  const max = license?.spec.maxContainers;
  // Sorting is only needed when the license holds more sessions than it allows (after a downgrade):
  // sorting on every reconcile made 5,000 sessions of one license cost 5,000 sorts of 5,000.
  const active = max === null || max === undefined ? [] : activeSessionsOfLicense.filter(isActive);
  if (license && max !== null && max !== undefined && active.length > max) {
    const ordered = active.sort(seatOrder);
    const rank = ordered.findIndex(
      (s) =>
        s.metadata?.name === session.metadata?.name && s.metadata?.namespace === session.metadata?.namespace,
    );
    if (rank >= max) {
      return end(
        session,
        "terminated",
        R.OverQuota,
        `license ${license.metadata?.name} allows ${max} concurrent containers; this is one of the newest beyond it`,
        now,
        "overQuota",
      );
    }
  }

  const late = nowMs >= heartbeatAt + policy.warningMs;
  const licensed: SessionConditionSpec = !license
    ? {
        type: T.Licensed,
        status: "Unknown",
        reason: R.LicenseNotFound,
        message: `License ${session.spec.licenseRef.name} not found`,
      }
    : license.spec.state === "pastDue"
      ? {
          type: T.Licensed,
          status: "True",
          reason: R.LicensePastDue,
          message: "license is past due (grace period)",
        }
      : { type: T.Licensed, status: "True", reason: R.LicenseActive, message: "license is active" };
  const expiresAt = new Date(heartbeatAt + policy.expiryMs).toISOString();
  const fresh: SessionConditionSpec = late
    ? {
        type: T.HeartbeatFresh,
        status: "False",
        reason: R.HeartbeatLate,
        message: `no heartbeat since ${new Date(heartbeatAt).toISOString()}; the session expires at ${expiresAt}`,
      }
    : {
        type: T.HeartbeatFresh,
        status: "True",
        reason: R.HeartbeatReceived,
        message: "heartbeats arrive on time",
      };
  const specs: SessionConditionSpec[] = [
    { type: T.Ready, status: "True", reason: R.Active, message: "the container holds a seat" },
    licensed,
    fresh,
    {
      type: T.WithinQuota,
      status: "True",
      reason: R.WithinLimit,
      message: "within the license's container limit",
    },
  ];
  const wasLate = status.conditions?.find((c) => c.type === T.HeartbeatFresh)?.reason === R.HeartbeatLate;
  return {
    check: "active",
    status: { ...status, state: "active", expiresAt, conditions: withConditions(status, specs, now) },
    delete: false,
    needsAuditRecord: false,
    ...(late && !wasLate
      ? { event: { type: "Warning" as const, reason: R.HeartbeatLate, message: fresh.message } }
      : {}),
    requeueAt: new Date(late ? heartbeatAt + policy.expiryMs : heartbeatAt + policy.warningMs),
  };
}
