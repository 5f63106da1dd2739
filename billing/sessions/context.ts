/** What the sessions handlers work with, and the helpers they share. */
import type { Logger } from "pino";
import type { Clock } from "../../lib/clock.js";
import { type OfflineTokenKeySet, signOfflineTokenSync } from "../../lib/offline-tokens/index.js";
import type { Db } from "../deps.js";
import type { SessionCluster } from "./cluster.js";
import { offlineTokenExpiry, onlineSinceOf, type SessionTiming } from "./decide.js";
import type { IdentityVerifier } from "./identity.js";
import type { SessionStatusPublisher } from "./status-publisher.js";
import type { SessionLicense, SessionRow } from "./store.js";

export interface SessionsContext {
  db: Db;
  clock: Clock;
  logger: Logger;
  keySet: OfflineTokenKeySet;
  timing: SessionTiming;
  /** Absent without a cluster: sessions then live in Postgres only. */
  cluster?: SessionCluster | undefined;
  /** Absent unless workstation identity tokens are configured. */
  identity?: IdentityVerifier | undefined;
  /**
   * Heartbeat statuses go to the cluster through this (ADR 0270); absent = written in the request (no
   * cluster, or SessionsOptions.statusFlushMs = 0).
   */
  statusPublisher?: SessionStatusPublisher<SessionRow> | undefined;
  /** Seat limit of an unlimited license (admission.ts); absent = DEFAULT_UNLIMITED_SESSION_CEILING. */
  unlimitedSessionCeiling?: number | undefined;
}

/** Annotation on an ended ContainerSession naming where its end was audited; the operator deletes only after it. */
export const AUDIT_REF_ANNOTATION = "coditect.ai/audit-ref";

export function offlineTokenFor(
  ctx: SessionsContext,
  session: SessionRow,
  license: SessionLicense,
  lastHeartbeat: Date,
) {
  return signOfflineTokenSync(
    ctx.keySet,
    {
      licenseId: license.id,
      sessionId: session.id,
      organization: license.organization,
      tier: license.tier,
      containerId: session.container_id,
    },
    lastHeartbeat,
    offlineTokenExpiry(license, lastHeartbeat, onlineSinceOf(session), ctx.timing),
  );
}

/**
 * Status fields billing writes on every successful heartbeat; `offlineGraceUntil` is the expiry of the
 * offline token that heartbeat hands out (earned since `onlineSince`, ADR 0158).
 */
export function heartbeatStatus(
  now: Date,
  timing: SessionTiming,
  license: SessionLicense,
  onlineSince: Date,
) {
  return {
    lastHeartbeatTime: now.toISOString(),
    expiresAt: new Date(now.getTime() + timing.sessionExpiryMs).toISOString(),
    offlineGraceUntil: offlineTokenExpiry(license, now, onlineSince, timing).toISOString(),
  };
}

/** The public view of a session in audit records (no token hash). */
export function auditView(session: SessionRow) {
  return {
    sessionId: session.id,
    containerId: session.container_id,
    containerType: session.container_type,
    hostname: session.hostname,
    state: session.state,
    reason: session.reason,
  };
}
