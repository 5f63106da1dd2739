/**
 * The sessions API router, mounted by billing/app.ts: POST /v1/sessions/{validate,heartbeat,release},
 * POST /v1/sessions/users/{join,leave}, and GET /.well-known/jwks.json (offline-token public keys).
 * Documented in docs/sessions.md and billing/openapi.yaml.
 */
import express, { type NextFunction, type Request, type Response } from "express";
import { z } from "zod";
import { CONTAINER_TYPES } from "../../lib/domain.js";
import { loadKeySet, type OfflineTokenKeySet, publicJwks } from "../../lib/offline-tokens/index.js";
import { workstationCredentialHash } from "../../lib/workstation-credential.js";
import { loadKubeCredentials } from "../cluster/credentials.js";
import type { BillingDeps } from "../deps.js";
import { ApiError } from "../http/errors.js";
import { hashLicenseKey } from "../licenses/keys.js";
import { metricsFor } from "../ops/metrics.js";
import { validateSession } from "./admission.js";
import { KubeSessionCluster, type SessionCluster } from "./cluster.js";
import type { SessionsContext } from "./context.js";
import { DEFAULT_SESSION_TIMING, type SessionTiming } from "./decide.js";
import { heartbeatSession, writeHeartbeatStatus } from "./heartbeat.js";
import { type IdentityConfig, identityVerifier } from "./identity.js";
import { ClusterUnavailable, withRequestBudget } from "./kube-retry.js";
import {
  namedLimit,
  type RateLimitCharge,
  type RateLimitRule,
  rateLimited,
  SESSION_RATE_LIMITS,
  takeDeferredCharges,
  takeLocal,
  takeShared,
} from "./rate-limit.js";
import { joinSession, leaveSession, releaseSession } from "./release.js";
import { DEFAULT_STATUS_PUBLISHER, SessionStatusPublisher } from "./status-publisher.js";
import { statusPublisherMetrics } from "./status-publisher-metrics.js";
import type { SessionRow } from "./store.js";
import { bearerToken, hashSessionToken } from "./tokens.js";

export interface SessionsOptions {
  /** Default: from config.offlineTokenKeys (an ephemeral key when neither variable is set). */
  keySet?: OfflineTokenKeySet;
  /** Default: billing's Kubernetes credentials (cluster/credentials.ts); null = no cluster (Postgres only). */
  cluster?: SessionCluster | null;
  /** Default: config.workstationIdentity (WORKSTATION_IDENTITY_*); absent = identity tokens refused. */
  identity?: IdentityConfig;
  timing?: Partial<SessionTiming>;
  rateLimits?: Partial<Record<keyof typeof SESSION_RATE_LIMITS, RateLimitRule>>;
  /**
   * How often queued heartbeat statuses are written to the cluster (ADR 0270; default 5 s). 0 writes each
   * heartbeat's status in its request, as before issue 18 (tests of the patch answer's handling use it).
   */
  statusFlushMs?: number;
}

const containerFields = {
  containerId: z
    .string()
    .min(1)
    .max(128)
    .regex(
      /^[A-Za-z0-9][A-Za-z0-9_.:-]*$/,
      "letters, digits and _ . : - only, starting with a letter or digit",
    ),
  containerType: z.enum(CONTAINER_TYPES),
  hostname: z.string().max(253).optional(),
  ip: z.union([z.ipv4(), z.ipv6()], { message: "must be an IPv4 or IPv6 address" }).optional(),
  maxUsers: z.number().int().min(1).max(1000).optional(),
};

const validateBody = z
  .strictObject({
    licenseKey: z.string().min(1).max(50).optional(),
    identityToken: z.string().min(1).max(8192).optional(),
    /** The workstation's own credential (ADR 0150): required with identityToken, refused without. */
    workstationCredential: z.string().min(16).max(256).optional(),
    ...containerFields,
  })
  .refine((b) => (b.licenseKey === undefined) !== (b.identityToken === undefined), {
    path: ["licenseKey"],
    message: "give exactly one of licenseKey or identityToken",
  })
  .refine((b) => (b.identityToken === undefined) === (b.workstationCredential === undefined), {
    path: ["workstationCredential"],
    message:
      "is required with identityToken (the workstation's CODITECT_WORKSTATION_CREDENTIAL) and only with it",
  });

const heartbeatBody = z.strictObject({
  cpu: z.number().min(0).optional(),
  memory: z.number().int().min(0).optional(),
  uptime: z.number().int().min(0).optional(),
  cpuPercent: z.number().min(0).optional(),
  memoryBytes: z.number().int().min(0).optional(),
  uptimeSeconds: z.number().int().min(0).optional(),
});

const userBody = z.strictObject({ user: z.email().max(254) });

async function buildContext(deps: BillingDeps, options: SessionsOptions): Promise<SessionsContext> {
  const keySet =
    options.keySet ?? (await loadKeySet(deps.config.offlineTokenKeys, (m) => deps.logger.warn(m)));
  let cluster: SessionCluster | undefined;
  if (options.cluster !== undefined) cluster = options.cluster ?? undefined;
  else {
    // The same credentials as the cluster feed (cluster/credentials.ts): KUBECONFIG or the pod's account.
    const credentials = loadKubeCredentials(deps.config.kubernetes);
    // lib/kube keeps connections alive (ADR 0304, 0316): one pooled client per cluster, not a TCP (and TLS)
    // connection per admitted session's creation and per status write.
    if (credentials.source !== "none") cluster = new KubeSessionCluster(credentials.connection);
  }
  const identityConfig = options.identity ?? deps.config.workstationIdentity;
  if (identityConfig && !cluster) {
    deps.logger.error(
      "workstation identity is configured but billing has no cluster: identity tokens will be refused",
    );
  }
  const identity =
    identityConfig && cluster ? identityVerifier(identityConfig, cluster, deps.clock) : undefined;
  const configured = {
    sessionTokenLifetimeMs: deps.config.sessionTokenLifetimeMs,
    ...(deps.config.sessionsHeartbeatIntervalMs === undefined
      ? {}
      : { heartbeatIntervalMs: deps.config.sessionsHeartbeatIntervalMs }),
  };
  const timing = { ...DEFAULT_SESSION_TIMING, ...configured, ...options.timing };
  const ctx: SessionsContext = {
    db: deps.db,
    clock: deps.clock,
    logger: deps.logger,
    keySet,
    timing,
    cluster,
    identity,
    unlimitedSessionCeiling: deps.config.unlimitedLicenseSessionCeiling,
  };
  const flushIntervalMs = options.statusFlushMs ?? DEFAULT_STATUS_PUBLISHER.flushIntervalMs;
  if (cluster && flushIntervalMs > 0) {
    const publisher = new SessionStatusPublisher<SessionRow>(
      async (session, patch) => {
        try {
          await writeHeartbeatStatus(ctx, session, patch);
        } catch (error) {
          // The API was unavailable: keep it for the next flush. Anything else would fail again: log, drop
          // (the session's next heartbeat queues a fresh status).
          if (error instanceof ClusterUnavailable) throw error;
          deps.logger.warn({ err: error, sessionId: session.id }, "ContainerSession status write refused");
        }
      },
      deps.logger,
      { flushIntervalMs },
      statusPublisherMetrics(deps.metrics),
    );
    ctx.statusPublisher = publisher;
    publisher.start();
  }
  return ctx;
}

type Handler = (ctx: SessionsContext, req: Request, res: Response) => Promise<void>;

/** The contexts of the sessions routers built for one app's deps, so its shutdown can stop them. */
const contexts = new WeakMap<BillingDeps, Set<Promise<SessionsContext>>>();

/** How long billing's shutdown waits for the publishers' last writes (its own forced exit comes at 10 s). */
export const SESSIONS_STOP_MS = 5_000;

/**
 * Stops the status publishers of every sessions router built for `deps` (billing/server.ts calls it on
 * SIGTERM after the HTTP server drained and before the pool closes): pending heartbeat statuses and running
 * creations are written, not dropped with the process (ADR 0302). Bounded by `withinMs`, so an API that
 * does not answer cannot hold the shutdown until it is killed: returns whether everything was written in
 * time (what was not is logged; the other replicas' watchdog and the next heartbeats converge it). Safe to
 * call more than once.
 */
export async function stopSessions(deps: BillingDeps, withinMs = SESSIONS_STOP_MS): Promise<boolean> {
  const built = contexts.get(deps);
  if (!built) return true;
  contexts.delete(deps);
  const stopped = Promise.all(
    [...built].map(async (ready) => {
      const ctx = await ready.catch(() => undefined); // a router that never started has nothing to flush
      await ctx?.statusPublisher?.stop();
    }),
  ).then(() => true);
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<false>((resolve) => {
    timer = setTimeout(() => resolve(false), withinMs);
  });
  const done = await Promise.race([stopped, late]);
  clearTimeout(timer);
  if (!done)
    deps.logger.warn(
      { withinMs },
      "ContainerSession statuses not all written before shutdown; the cluster watchdog and the next heartbeats converge them",
    );
  return done;
}

export function sessionsRouter(deps: BillingDeps, options: SessionsOptions = {}): express.Router {
  const ready = buildContext(deps, options);
  const built = contexts.get(deps) ?? new Set();
  contexts.set(deps, built.add(ready));
  ready.catch((error) =>
    deps.logger.error(
      { err: error },
      "sessions API cannot start: offline-token keys or cluster config invalid",
    ),
  );
  const limits = { ...SESSION_RATE_LIMITS, ...options.rateLimits };
  const limiters = {
    validate: namedLimit(deps, "sessions_validate", limits.validate),
    heartbeat: namedLimit(deps, "sessions_heartbeat", limits.heartbeat),
    release: namedLimit(deps, "sessions_release", limits.release),
  };
  const router = express.Router();
  const refusals = metricsFor(deps.metrics).seatRefusals;
  const route = (handler: Handler) => async (req: Request, res: Response, next: NextFunction) => {
    try {
      const ctx = await ready;
      await withRequestBudget(() => handler(ctx, req, res));
    } catch (error) {
      next(error);
    }
  };
  /**
   * This replica's windows first, then ONE shared round trip for these charges and those a middleware
   * deferred (validate's per-IP charge), so a request pays at most one extra round trip (ADR 0160).
   */
  const limit = async (charges: RateLimitCharge[], deferred: RateLimitCharge[] = []) => {
    const local = takeLocal(charges);
    const decision = local.allowed ? await takeShared([...deferred, ...charges]) : local;
    if (!decision.allowed) throw rateLimited(decision.retryAfterSeconds);
  };
  const requireToken = (req: Request): string => {
    const token = bearerToken(req.get("authorization"));
    if (!token)
      throw new ApiError(401, "invalid_session_token", "Authorization: Bearer <session token> is required");
    return token;
  };

  router.get(
    "/.well-known/jwks.json",
    route(async (ctx, _req, res) => {
      res.setHeader("Cache-Control", "public, max-age=3600");
      res.json(publicJwks(ctx.keySet));
    }),
  );

  router.post(
    "/v1/sessions/validate",
    route(async (ctx, req, res) => {
      // Validated first, so the limiter's keys are bounded values, never attacker-sized raw input (issue
      // 13 §4); a flood of invalid bodies is held by the per-IP limit (billing/http/ip-limit.ts).
      const parsed = validateBody.safeParse(req.body);
      const perIp = takeDeferredCharges(res.locals);
      if (!parsed.success) {
        await limit([], perIp); // invalid bodies still count against the client IP on every replica
        throw parsed.error;
      }
      const body = parsed.data;
      // A workstation's bucket is its credential's (hashed), not the container id a caller names: nobody
      // can use up another workstation's validate budget by posting its id.
      const rateKey =
        body.licenseKey !== undefined
          ? `key:${hashLicenseKey(body.licenseKey)}`
          : `workstation:${workstationCredentialHash(body.workstationCredential ?? "")}`;
      await limit([{ limit: limiters.validate, key: rateKey }], perIp);
      const result = await validateSession(ctx, body).catch((error: unknown) => {
        if (error instanceof ApiError && error.status === 403) refusals.inc({ reason: error.code });
        throw error;
      });
      if (!result.admitted) {
        refusals.inc({ reason: "seat_limit_reached" });
        res.status(429).json({
          error: {
            code: "seat_limit_reached",
            message: `all ${result.limit} container seats of this license are in use; stop another container or upgrade`,
            limit: result.limit,
            activeSessions: result.liveSessions,
          },
        });
        return;
      }
      const { admitted: _admitted, ...answer } = result;
      res.status(201).json(answer);
    }),
  );

  router.post(
    "/v1/sessions/heartbeat",
    route(async (ctx, req, res) => {
      const token = requireToken(req);
      const charge = { limit: limiters.heartbeat, key: hashSessionToken(token) };
      const parsed = heartbeatBody.safeParse(req.body ?? {});
      if (!parsed.success) {
        await limit([charge]); // a bad body is still counted, as every request is
        throw parsed.error;
      }
      // This replica's window here; the shared one in the heartbeat's own statement (ADR 0301).
      const local = takeLocal([charge]);
      if (!local.allowed) throw rateLimited(local.retryAfterSeconds);
      const body = parsed.data;
      const report = {
        cpuPercent: body.cpuPercent ?? body.cpu,
        memoryBytes: body.memoryBytes ?? body.memory,
        uptimeSeconds: body.uptimeSeconds ?? body.uptime,
      };
      const hasReport = Object.values(report).some((v) => v !== undefined);
      const clean = Object.fromEntries(Object.entries(report).filter(([, v]) => v !== undefined));
      const shared = charge.limit.shared
        ? { limiter: charge.limit.name, key: charge.key, rule: charge.limit.rule }
        : undefined;
      res.json(await heartbeatSession(ctx, token, hasReport ? clean : null, shared, charge.key));
    }),
  );

  router.post(
    "/v1/sessions/release",
    route(async (ctx, req, res) => {
      const token = requireToken(req);
      await limit([{ limit: limiters.release, key: hashSessionToken(token) }]);
      res.json(await releaseSession(ctx, token));
    }),
  );

  router.post(
    "/v1/sessions/users/join",
    route(async (ctx, req, res) => {
      const token = requireToken(req);
      await limit([{ limit: limiters.release, key: `users:${hashSessionToken(token)}` }]);
      res.json(await joinSession(ctx, token, userBody.parse(req.body).user));
    }),
  );

  router.post(
    "/v1/sessions/users/leave",
    route(async (ctx, req, res) => {
      const token = requireToken(req);
      await limit([{ limit: limiters.release, key: `users:${hashSessionToken(token)}` }]);
      res.json(await leaveSession(ctx, token, userBody.parse(req.body).user));
    }),
  );

  return router;
}
