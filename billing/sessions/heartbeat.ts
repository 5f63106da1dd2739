/**
 * POST /v1/sessions/heartbeat. A live session of an entitled license is extended (row update + a merge
 * patch of the ContainerSession status: no generation change). A stale or expired session goes through
 * re-admission (admission.ts). A session whose license lapsed, or that was released or terminated, is told
 * `expired` and must stop.
 */

import type { ContainerSessionStatus } from "../../crds/types.js";
import { recordAudit } from "../audit.js";
import { withTransaction } from "../db/tx.js";
import { ApiError } from "../http/errors.js";
import { markEndedInCluster, readmitSession } from "./admission.js";
import { type SessionStatusPatch, sessionResourceFor } from "./cluster.js";
import { auditView, heartbeatStatus, offlineTokenFor, type SessionsContext } from "./context.js";
import {
  heartbeatAdvice,
  licenseRefusal,
  liveSince,
  onlineSinceOf,
  REFUSAL_TO_SESSION_REASON,
  sessionTokenExpiresAt,
} from "./decide.js";
import { ClusterUnavailable } from "./kube-retry.js";
import { rateLimited } from "./rate-limit.js";
import type { SharedCharge } from "./rate-limit-postgres.js";
import {
  endSession,
  type SessionLicense,
  type SessionRow,
  sessionByTokenHash,
  shareLicense,
  touchLiveSession,
  touchSession,
} from "./store.js";
import { hashSessionToken } from "./tokens.js";

export interface UsageReport {
  cpuPercent?: number | undefined;
  memoryBytes?: number | undefined;
  uptimeSeconds?: number | undefined;
}

export interface HeartbeatResult {
  status: "ok" | "warning" | "expired";
  /** Seconds the container may run without another successful heartbeat (its offline token's lifetime). */
  gracePeriodRemaining: number;
  message: string;
  offlineToken?: string;
  offlineTokenExpiresAt?: string;
}

type FastPath =
  | { kind: "live"; license: SessionLicense; session: SessionRow }
  | { kind: "ended"; message: string; terminated?: { session: SessionRow; reason: string } }
  | { kind: "stale" };

function expired(message: string): HeartbeatResult {
  return { status: "expired", gracePeriodRemaining: 0, message };
}

/**
 * The session a bearer token names; 401 when none does, and 401 `session_token_expired` once the token is
 * older than its absolute lifetime (ADR 0161): the agent then validates again (same container: its old
 * session is superseded, no second seat) and carries on with a new token.
 */
export async function sessionForToken(ctx: SessionsContext, token: string): Promise<SessionRow> {
  const session = await sessionByTokenHash(ctx.db, hashSessionToken(token));
  if (!session) throw new ApiError(401, "invalid_session_token", "unknown session token; validate again");
  const expiresAt = sessionTokenExpiresAt(session.created_at, ctx.timing);
  if (ctx.clock.now().getTime() >= expiresAt.getTime()) {
    throw new ApiError(
      401,
      "session_token_expired",
      `session token expired at ${expiresAt.toISOString()} (a token lasts a fixed time from its validate); validate again for a new one`,
    );
  }
  return session;
}

/**
 * `sharedCharge`: the request's charge in the shared rate-limit window, counted by the same statement as
 * the common case (ADR 0301); a refusal answers 429 and changes nothing else. The caller has counted it in
 * this replica's own window already. `tokenHash`: the token's hash when the caller has it already (the
 * router keys the rate limit by it), so a heartbeat hashes its token once.
 */
export async function heartbeatSession(
  ctx: SessionsContext,
  token: string,
  report: UsageReport | null,
  sharedCharge?: SharedCharge,
  tokenHash: string = hashSessionToken(token),
): Promise<HeartbeatResult> {
  const now = ctx.clock.now();
  // The common case in one SQL statement (ADR 0270); anything unusual takes the full path below.
  const { rateLimit, touched } = await touchLiveSession(
    ctx.db,
    tokenHash,
    now,
    liveSince(now, ctx.timing),
    new Date(now.getTime() - ctx.timing.sessionTokenLifetimeMs),
    report,
    sharedCharge,
  );
  if (!rateLimit.allowed) throw rateLimited(rateLimit.retryAfterSeconds);
  if (touched && !licenseRefusal(touched.license, now)) {
    const ended = await publishHeartbeat(ctx, touched.session, touched.license, now, report);
    if (ended) return expired(ended);
    return answer(ctx, touched, now);
  }
  const known = await sessionForToken(ctx, token);
  const fast = await withTransaction(ctx.db, async (tx): Promise<FastPath> => {
    const license = await shareLicense(tx, known.license_id);
    const session = (
      await tx.query<SessionRow>("SELECT * FROM container_sessions WHERE id = $1 FOR UPDATE", [known.id])
    ).rows[0];
    if (!license || !session) return { kind: "ended", message: "session no longer exists" };
    if (session.state === "released" || session.state === "terminated") {
      return { kind: "ended", message: `session ${session.state} (${session.reason})` };
    }
    const refusal = licenseRefusal(license, now);
    if (refusal) {
      const reason = REFUSAL_TO_SESSION_REASON[refusal.code];
      if (await endSession(tx, session.id, "terminated", reason, now)) {
        await recordAudit(tx, {
          at: now,
          actor: "system:sessions",
          action: "session.terminated",
          licenseId: license.id,
          before: auditView(session),
          after: { ...auditView(session), state: "terminated", reason },
        });
      }
      return { kind: "ended", message: refusal.message, terminated: { session, reason } };
    }
    if (session.state === "active" && session.last_heartbeat_at > liveSince(now, ctx.timing)) {
      await touchSession(tx, session.id, now, report);
      return { kind: "live", license, session };
    }
    return { kind: "stale" };
  });

  let live: { license: SessionLicense; session: SessionRow };
  if (fast.kind === "ended") {
    // After the commit: the resource only says "audited" once the audit record exists.
    if (fast.terminated)
      await markEndedInCluster(ctx, fast.terminated.session, "terminated", fast.terminated.reason, now);
    return expired(fast.message);
  }
  if (fast.kind === "stale") {
    const readmitted = await readmitSession(ctx, known.id, report);
    if ("expired" in readmitted) {
      await markEndedInCluster(ctx, { ...known, state: "expired" }, "expired", "HeartbeatMissed", now);
      return expired(readmitted.expired);
    }
    live = readmitted;
  } else {
    live = fast;
    const ended = await publishHeartbeat(ctx, live.session, live.license, now, report);
    if (ended) return expired(ended);
  }
  return answer(ctx, live, now);
}

async function answer(
  ctx: SessionsContext,
  live: { license: SessionLicense; session: SessionRow },
  now: Date,
): Promise<HeartbeatResult> {
  const advice = heartbeatAdvice(live.license, now, ctx.timing);
  const offline = offlineTokenFor(ctx, live.session, live.license, now);
  return {
    status: advice.status,
    gracePeriodRemaining: Math.max(0, Math.floor((offline.expiresAt.getTime() - now.getTime()) / 1000)),
    message: advice.message,
    offlineToken: offline.token,
    offlineTokenExpiresAt: offline.expiresAt.toISOString(),
  };
}

/**
 * Hands the heartbeat's status to the cluster: queued for the status publisher (the default, ADR 0270:
 * nothing but PostgreSQL in the request path), or written in the request when there is no publisher
 * (SessionsOptions.statusFlushMs = 0). Returns the message of an end the cluster reported, or undefined.
 */
async function publishHeartbeat(
  ctx: SessionsContext,
  session: SessionRow,
  license: SessionLicense,
  now: Date,
  report: UsageReport | null,
): Promise<string | undefined> {
  if (!ctx.cluster || !session.resource_name) return undefined;
  const patch = {
    ...heartbeatStatus(now, ctx.timing, license, onlineSinceOf(session)),
    ...(report ? { lastReport: report } : {}),
  };
  if (ctx.statusPublisher) {
    ctx.statusPublisher.record(session.id, session, patch);
    return undefined;
  }
  return writeHeartbeatStatus(ctx, session, patch);
}

/**
 * Writes a heartbeat to the resource's status. The patch answer tells whether the operator ended the
 * session meanwhile (terminated after a downgrade or revocation, or deleted): then Postgres follows and
 * the container is told to stop. Returns the message for such an end, or undefined.
 */
export async function writeHeartbeatStatus(
  ctx: SessionsContext,
  session: SessionRow,
  patch: SessionStatusPatch,
): Promise<string | undefined> {
  if (!ctx.cluster || !session.resource_name) return undefined;
  const now = ctx.clock.now();
  const status = await ctx.cluster.patchSessionStatus(session.organization, session.resource_name, patch);
  if (status === null) {
    // Gone while Postgres says live: the cluster lost its objects (etcd restore, a deleted namespace), since
    // billing and the operator only delete sessions whose end Postgres recorded. Postgres is the truth:
    // project the session again rather than end it (docs/adr/0125).
    await recreateInCluster(ctx, session, patch as ContainerSessionStatus);
    return undefined;
  }
  if (status.state !== "terminated" && status.state !== "released") {
    // The operator may have expired it a moment before this heartbeat landed; Postgres says live, so it is.
    if (status.state === "expired")
      await ctx.cluster.patchSessionStatus(session.organization, session.resource_name, {
        state: "active",
        reason: null,
        endedAt: null,
      });
    return undefined;
  }
  const state = status.state === "released" ? "released" : "terminated";
  const reason = status.reason ?? "Ended";
  await withTransaction(ctx.db, async (tx) => {
    if (await endSession(tx, session.id, state, reason, now)) {
      await recordAudit(tx, {
        at: now,
        actor: "operator",
        action: `session.${state}`,
        licenseId: session.license_id,
        before: auditView(session),
        after: { ...auditView(session), state, reason },
      });
    }
  });
  return `session ${state} by the control plane (${reason})`;
}

/** Creates the ContainerSession of a live session from its row; best effort (the cluster watchdog retries). */
async function recreateInCluster(
  ctx: SessionsContext,
  session: SessionRow,
  status: ContainerSessionStatus,
): Promise<void> {
  const resource = sessionResourceFor({
    sessionId: session.id,
    licenseId: session.license_id,
    organization: session.organization,
    containerId: session.container_id,
    containerType: session.container_type,
    hostname: session.hostname,
    ip: session.ip,
    maxUsers: session.max_users,
  });
  try {
    await ctx.cluster!.createSession(resource, { state: "active", ...status });
    ctx.logger.warn(
      { sessionId: session.id, resource: `${resource.metadata.namespace}/${resource.metadata.name}` },
      "ContainerSession was missing from the cluster; recreated it from Postgres",
    );
  } catch (error) {
    if (error instanceof ClusterUnavailable) throw error;
    // e.g. the namespace is gone too: the cluster watchdog re-projects the license first, then the session.
    ctx.logger.warn(
      { err: error, sessionId: session.id },
      "could not recreate the missing ContainerSession yet",
    );
  }
}
