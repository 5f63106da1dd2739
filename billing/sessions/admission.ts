/**
 * Seat admission (POST /v1/sessions/validate and the re-admission of an expired session). In ONE
 * transaction: lock the license row (SELECT … FOR UPDATE), count its live sessions in SQL, admit or refuse.
 * Concurrent validates of one license queue on the row lock, so the count each sees includes every
 * admission before it: no overselling. The ContainerSession is created after the commit by the status
 * publisher (ADR 0271), or still under the lock without one. Under the lock a validate costs three
 * statements — the lock, the holder with the live count, the insert with its audit record (ADR 0303) —
 * plus BEGIN and COMMIT.
 */
import { randomUUID } from "node:crypto";
import { recordAudit } from "../audit.js";
import { withTransaction } from "../db/tx.js";
import { ApiError } from "../http/errors.js";
import { hashLicenseKey } from "../licenses/keys.js";
import { sessionResourceFor } from "./cluster.js";
import {
  AUDIT_REF_ANNOTATION,
  auditView,
  heartbeatStatus,
  offlineTokenFor,
  type SessionsContext,
} from "./context.js";
import {
  containerClaim,
  licenseRefusal,
  liveSince,
  onlineSinceAtValidate,
  onlineSinceOf,
  seatDecision,
} from "./decide.js";
import {
  activeSessionOfContainer,
  countLiveSessions,
  endSession,
  holderAndLiveCount,
  insertSessionAudited,
  lockLicense,
  type SessionLicense,
  type SessionRow,
  touchSession,
} from "./store.js";
import { generateSessionToken, hashSessionToken } from "./tokens.js";

export interface ValidateInput {
  licenseKey?: string | undefined;
  identityToken?: string | undefined;
  /** With identityToken: the workstation's own credential (ADR 0150). */
  workstationCredential?: string | undefined;
  containerId: string;
  containerType: "docker" | "workstation";
  hostname?: string | undefined;
  ip?: string | undefined;
  maxUsers?: number | undefined;
}

export type ValidateResult =
  | {
      admitted: true;
      sessionId: string;
      sessionToken: string;
      licenseTier: string;
      organization: string;
      expiresAt: string;
      heartbeatIntervalSeconds: number;
      offlineToken: string;
      offlineTokenExpiresAt: string;
    }
  | { admitted: false; limit: number; liveSessions: number };

/** Concurrent sessions of an unlimited (Enterprise) license when the config does not say (issue 13). */
export const DEFAULT_UNLIMITED_SESSION_CEILING = 1000;

/**
 * The seat limit admission enforces: the license's own, or for an unlimited license the ceiling, so one
 * key cannot flood the cluster with ContainerSession resources (ADR 0142). Refused the same way (429).
 */
export function effectiveSeatLimit(maxContainers: number | null, ceiling: number | undefined): number {
  return maxContainers ?? ceiling ?? DEFAULT_UNLIMITED_SESSION_CEILING;
}

/** Thrown by the admission transaction to roll it back when no seat is free. */
class SeatLimitReached extends Error {
  constructor(
    readonly limit: number,
    readonly live: number,
  ) {
    super("seat limit reached");
  }
}

/**
 * The license a validate is for — its key's hash (looked up under the lock, below) or the license a bound
 * workstation's identity names — and the principal (key or workstation) its session belongs to.
 */
async function resolveLicense(
  ctx: SessionsContext,
  input: ValidateInput,
): Promise<{ license: { keyHash: string } | { id: string }; principal: string }> {
  if (input.licenseKey) {
    const keyHash = hashLicenseKey(input.licenseKey);
    return { license: { keyHash }, principal: `key:${keyHash}` };
  }
  if (!ctx.identity) {
    throw new ApiError(
      403,
      "identity_not_supported",
      "this server does not accept workstation identity tokens",
    );
  }
  const bound = await ctx.identity.licenseFor(
    input.identityToken!,
    input.containerId,
    input.workstationCredential!,
  );
  return { license: { id: bound.licenseId }, principal: bound.principal };
}

export async function validateSession(ctx: SessionsContext, input: ValidateInput): Promise<ValidateResult> {
  const { license: which, principal } = await resolveLicense(ctx, input);
  const now = ctx.clock.now();
  const token = generateSessionToken();
  let superseded: SessionRow | undefined;
  let created: { namespace: string; name: string } | undefined;
  try {
    const { session, license, resource } = await withTransaction(ctx.db, async (tx) => {
      // A key is looked up AND locked in one statement (issue 18): a rotation that commits first leaves no
      // row with the old key's hash, one still running makes this wait and then find none — a session can
      // never be admitted with a key that a committed rotation replaced (issue 13 §8).
      const license = await lockLicense(tx, which);
      if (!license)
        throw new ApiError(
          403,
          "license_invalid",
          "keyHash" in which ? "unknown license key" : "unknown license",
        );
      const licenseId = license.id;
      const refusal = licenseRefusal(license, now);
      if (refusal) throw new ApiError(403, refusal.code, refusal.message);

      // The same container validating again (a restart) replaces its own session instead of taking a seat;
      // another principal claiming a busy container id is refused and the session stays (issue 13 §1).
      // One statement (ADR 0303): the holder, and the live count as it will be once the holder is replaced.
      const { holder, live } = await holderAndLiveCount(
        tx,
        licenseId,
        input.containerId,
        liveSince(now, ctx.timing),
      );
      if (holder && containerClaim(holder.principal, principal) === "conflict") {
        throw new ApiError(
          409,
          "container_in_use",
          `container ${input.containerId} has a running session of this license started with another credential; stop that container or use another container id`,
        );
      }
      superseded = holder;
      // Read before the holder is ended: a renewal or restart of a live session continues its online run.
      const onlineSince = onlineSinceAtValidate(holder, principal, now, ctx.timing);
      if (superseded && (await endSession(tx, superseded.id, "released", "Superseded", now))) {
        const after = { ...auditView(superseded), state: "released", reason: "Superseded" };
        await recordAudit(tx, {
          at: now,
          actor: `container:${input.containerId}`,
          action: "session.released",
          licenseId,
          before: auditView(superseded),
          after,
        });
      }

      const seat = seatDecision(
        effectiveSeatLimit(license.max_containers, ctx.unlimitedSessionCeiling),
        live,
      );
      if (!seat.admit) throw new SeatLimitReached(seat.limit, live);

      const id = randomUUID();
      const session: SessionRow = {
        id,
        license_id: licenseId,
        organization: license.organization,
        container_id: input.containerId,
        container_type: input.containerType,
        hostname: input.hostname ?? null,
        ip: input.ip ?? null,
        state: "active",
        reason: null,
        max_users: Math.min(input.maxUsers ?? 1, license.seats),
        resource_name: null,
        created_at: now,
        last_heartbeat_at: now,
        ended_at: null,
        principal,
        online_since: onlineSince,
      };
      const resource = ctx.cluster
        ? sessionResourceFor({
            ...input,
            sessionId: id,
            licenseId,
            organization: license.organization,
            maxUsers: session.max_users,
          })
        : undefined;
      session.resource_name = resource?.metadata.name ?? null;
      await insertSessionAudited(
        tx,
        { ...session, token_hash: hashSessionToken(token) },
        {
          at: now,
          actor: `container:${input.containerId}`,
          action: "session.started",
          licenseId,
          before: null,
          after: auditView(session),
        },
      );
      // Inline mode (no publisher): still under the row lock, the resource exists before any other validate
      // of this license can count. With the publisher it is projected after the commit (ADR 0271).
      if (ctx.cluster && resource && !ctx.statusPublisher) {
        created = resource.metadata;
        await ctx.cluster.createSession(resource, {
          state: "active",
          ...heartbeatStatus(now, ctx.timing, license, onlineSince),
        });
      }
      return { session, license, resource };
    });
    if (ctx.cluster && resource && ctx.statusPublisher) {
      const cluster = ctx.cluster;
      const status = {
        state: "active" as const,
        ...heartbeatStatus(now, ctx.timing, license, onlineSinceOf(session)),
      };
      ctx.statusPublisher.project(session.id, () => cluster.createSession(resource, status));
    }
    if (superseded) await markEndedInCluster(ctx, superseded, "released", "Superseded", now);
    const offline = offlineTokenFor(ctx, session, license, now);
    return {
      admitted: true,
      sessionId: session.id,
      sessionToken: token,
      licenseTier: license.tier,
      organization: license.organization,
      expiresAt: new Date(now.getTime() + ctx.timing.sessionExpiryMs).toISOString(),
      heartbeatIntervalSeconds: Math.round(ctx.timing.heartbeatIntervalMs / 1000),
      offlineToken: offline.token,
      offlineTokenExpiresAt: offline.expiresAt.toISOString(),
    };
  } catch (error) {
    if (error instanceof SeatLimitReached)
      return { admitted: false, limit: error.limit, liveSessions: error.live };
    // The transaction rolled back after the resource was (maybe) created: remove it, so the cluster never
    // shows a seat that Postgres did not grant.
    if (created && ctx.cluster) {
      const orphan = created;
      await ctx.cluster
        .deleteSession(orphan.namespace, orphan.name)
        .catch((cleanupError) =>
          ctx.logger.warn(
            { err: cleanupError, session: orphan },
            "could not delete the resource of a rolled-back admission",
          ),
        );
    }
    throw error;
  }
}

/**
 * A session that lost its seat (expired, or active but stale) heartbeats again: re-admit it only if a seat
 * is free, under the same lock as validate. Returns the license when re-admitted, null when it stays expired.
 */
export async function readmitSession(
  ctx: SessionsContext,
  sessionId: string,
  report: object | null,
): Promise<{ license: SessionLicense; session: SessionRow } | { expired: string }> {
  const now = ctx.clock.now();
  const result = await withTransaction(ctx.db, async (tx) => {
    const current = (
      await tx.query<SessionRow>("SELECT * FROM container_sessions WHERE id = $1", [sessionId])
    ).rows[0];
    if (!current) return { expired: "session no longer exists" };
    const license = await lockLicense(tx, { id: current.license_id });
    const session = (
      await tx.query<SessionRow>("SELECT * FROM container_sessions WHERE id = $1 FOR UPDATE", [sessionId])
    ).rows[0]!;
    if (!license) return { expired: "license no longer exists" };
    if (session.state === "released" || session.state === "terminated") {
      return { expired: `session ${session.state} (${session.reason})` };
    }
    const refusal = licenseRefusal(license, now);
    if (refusal) return { expired: refusal.message };
    const live = await countLiveSessions(tx, license.id, liveSince(now, ctx.timing), session.id);
    const other = await activeSessionOfContainer(tx, license.id, session.container_id);
    const limit = effectiveSeatLimit(license.max_containers, ctx.unlimitedSessionCeiling);
    const seat = seatDecision(limit, live);
    if (!seat.admit || (other && other.id !== session.id)) {
      if (await endSession(tx, session.id, "expired", "HeartbeatMissed", now)) {
        await recordAudit(tx, {
          at: now,
          actor: "system:sessions",
          action: "session.expired",
          licenseId: license.id,
          before: auditView(session),
          after: { ...auditView(session), state: "expired" },
        });
      }
      const why = other ? "the container started a newer session" : `all ${limit} seats are in use`;
      return { expired: `session expired and cannot be re-admitted: ${why}` };
    }
    // The container was offline (its seat lapsed): its online run, and the grace it earns, start again.
    await touchSession(tx, session.id, now, report, now);
    await recordAudit(tx, {
      at: now,
      actor: `container:${session.container_id}`,
      action: "session.readmitted",
      licenseId: license.id,
      before: auditView(session),
      after: { ...auditView(session), state: "active" },
    });
    // Inline mode: under the lock, as validate's creation.
    if (ctx.cluster && session.resource_name && !ctx.statusPublisher) {
      await ctx.cluster.patchSessionStatus(session.organization, session.resource_name, {
        state: "active",
        reason: null,
        endedAt: null,
        ...heartbeatStatus(now, ctx.timing, license, now),
      });
    }
    return {
      license,
      session: { ...session, state: "active" as const, last_heartbeat_at: now, online_since: now },
    };
  });
  const publisher = ctx.statusPublisher;
  if ("expired" in result || !publisher || !ctx.cluster || !result.session.resource_name) return result;
  // With the publisher (ADR 0270): a state change, so written now, after the commit; queued for the next
  // flush only if the API failed or the resource is gone (the flush recreates it from the row).
  const { session, license } = result;
  const patch = {
    state: "active" as const,
    reason: null,
    endedAt: null,
    ...heartbeatStatus(now, ctx.timing, license, now),
  };
  const written = await ctx.cluster
    .patchSessionStatus(session.organization, session.resource_name!, patch)
    .catch(() => null);
  if (written === null) publisher.record(session.id, session, patch);
  return result;
}

/** Writes an end billing decided (and audited) to the resource; best effort (the operator converges). */
export async function markEndedInCluster(
  ctx: Pick<SessionsContext, "cluster" | "logger" | "statusPublisher">,
  session: SessionRow,
  state: "released" | "terminated" | "expired",
  reason: string,
  now: Date,
): Promise<void> {
  if (!ctx.cluster || !session.resource_name) return;
  // A state change is written now, after the session's creation if that is still running; a heartbeat
  // (or a retried creation) still queued for the session must not follow it.
  await ctx.statusPublisher?.settled(session.id);
  ctx.statusPublisher?.forget(session.id);
  try {
    await ctx.cluster.patchSessionStatus(session.organization, session.resource_name, {
      state,
      reason,
      endedAt: now.toISOString(),
    });
    await ctx.cluster.annotateSession(session.organization, session.resource_name, {
      [AUDIT_REF_ANNOTATION]: `billing:audit_events/session.${state}`,
    });
  } catch (error) {
    ctx.logger.warn(
      { err: error, sessionId: session.id },
      "could not mark the ContainerSession ended; the operator will converge",
    );
  }
}
