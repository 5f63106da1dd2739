/**
 * Registry pull credentials for licensed customers (issue 15, ADR 0200–0202):
 * - `POST /v1/registry/token`: Bearer <license key> or Basic (any user, key as password) → a credential
 *   for `docker login` scoped to the license tier's repositories, with its expiry.
 * - `GET /v1/registry/token?service=…&scope=repository:<name>:pull`: the Docker Registry v2 token realm
 *   the sandbox registry redirects docker/podman/skopeo to (Basic `license:<key>`).
 * Entitled licenses only (403 with the license state's code), rate-limited per key and per client IP,
 * every issuance recorded and audited without the token.
 */
import express, { type NextFunction, type Request, type Response } from "express";
import { z } from "zod";
import { withTransaction } from "../db/tx.js";
import type { BillingDeps } from "../deps.js";
import { ApiError } from "../http/errors.js";
import { hashLicenseKey, LICENSE_KEY_MAX_LENGTH } from "../licenses/keys.js";
import { getLicense } from "../licenses/store.js";
import { licenseRefusal } from "../sessions/decide.js";
import { namedLimit, type RateLimitRule, takeLocal, takeShared } from "../sessions/rate-limit.js";
import { licenseIdByKeyHash } from "../sessions/store.js";
import { recordIssuance } from "./audit.js";
import type { RegistryCredential, RegistryCredentialIssuer } from "./issuer.js";
import { createIssuer } from "./issuers.js";
import {
  grantedAccess,
  parseScope,
  requireRegistryTier,
  type TIER_NAMESPACES,
  tierRepositories,
} from "./tiers.js";

/** A docker pull asks once per repository; a CI fleet behind one NAT asks often. */
export const REGISTRY_RATE_LIMITS = {
  perKey: { limit: 60, windowMs: 60_000 },
  perIp: { limit: 300, windowMs: 60_000 },
} as const satisfies Record<string, RateLimitRule>;

/** The license key from `Authorization: Bearer <key>` or `Basic base64(<any>:<key>)`; undefined if absent. */
export function licenseKeyFrom(header: string | undefined): string | undefined {
  if (!header) return undefined;
  const bearer = /^Bearer (\S+)$/i.exec(header);
  if (bearer) return bearer[1];
  const basic = /^Basic ([A-Za-z0-9+/=]{1,400})$/i.exec(header);
  if (!basic) return undefined;
  const decoded = Buffer.from(basic[1]!, "base64").toString("utf8");
  const colon = decoded.indexOf(":");
  return colon < 0 ? undefined : decoded.slice(colon + 1);
}

const postBody = z
  .strictObject({
    repositories: z.array(z.string().min(1).max(255)).max(20).optional(),
  })
  .optional();

const getQuery = z.object({
  service: z.string().min(1).max(200).optional(),
  scope: z.union([z.string().max(400), z.array(z.string().max(400)).max(20)]).optional(),
  account: z.string().max(200).optional(),
  client_id: z.string().max(200).optional(),
  offline_token: z.string().max(10).optional(),
});

export function registryRouter(
  deps: BillingDeps,
  options: { issuer?: RegistryCredentialIssuer } = {},
): express.Router {
  const router = express.Router();
  const config = deps.config.registry;
  let issuer: Promise<RegistryCredentialIssuer> | undefined;
  const getIssuer = () => {
    if (options.issuer) return Promise.resolve(options.issuer);
    if (!config)
      throw new ApiError(
        404,
        "registry_not_configured",
        "registry credentials are not configured on this server",
      );
    // Built at the first request; a bad key file or endpoint is logged and retried, never cached.
    issuer ??= createIssuer(config).catch((error: unknown) => {
      issuer = undefined;
      deps.logger.error(
        { err: error },
        "registry credentials cannot be issued: check the REGISTRY_* settings",
      );
      throw new ApiError(503, "registry_credentials_unavailable", "registry credentials are unavailable", 30);
    });
    return issuer;
  };
  const perKey = namedLimit(deps, "registry_token_key", REGISTRY_RATE_LIMITS.perKey);
  const perIp = namedLimit(deps, "registry_token_ip", REGISTRY_RATE_LIMITS.perIp);
  const prefix = config?.repositoryPrefix ?? "";

  /** Authenticates, limits, checks the license under its row lock, issues and records in one transaction. */
  const issueFor = async (
    req: Request,
    build: (tier: keyof typeof TIER_NAMESPACES) => {
      access: { type: "repository"; name: string; actions: string[] }[];
      service?: string | undefined;
    },
  ): Promise<RegistryCredential> => {
    const clientIp = req.ip ?? req.socket.remoteAddress ?? "unknown";
    const ipCharge = { limit: perIp, key: clientIp };
    const key = licenseKeyFrom(req.get("authorization"));
    if (!key || key.length > LICENSE_KEY_MAX_LENGTH) {
      await limitOrThrow([ipCharge]);
      throw new ApiError(
        401,
        "license_key_required",
        "authenticate with your license key: Authorization: Bearer <key>, or Basic with the key as password",
      );
    }
    const keyHash = hashLicenseKey(key);
    await limitOrThrow([ipCharge, { limit: perKey, key: keyHash }]);
    const source = await getIssuer();
    const licenseId = await licenseIdByKeyHash(deps.db, keyHash);
    if (!licenseId) throw new ApiError(403, "license_invalid", "unknown license key");
    return withTransaction(deps.db, async (tx) => {
      // Under the row lock: a revocation committing now is either seen here or waits for this issuance
      // (which its audit event then counts as still valid).
      const license = await getLicense(tx, licenseId, { forUpdate: true });
      if (!license || license.key_hash !== keyHash)
        throw new ApiError(403, "license_invalid", "unknown license key");
      const now = deps.clock.now();
      const refusal = licenseRefusal(license, now);
      if (refusal) throw new ApiError(403, refusal.code, refusal.message);
      requireRegistryTier(license.tier);
      const { access, service } = build(license.tier);
      const credential = await source.issue({
        tier: license.tier,
        subject: `license:${license.id}`,
        access,
        service,
        now,
      });
      await recordIssuance(tx, { licenseId: license.id, tier: license.tier, credential, clientIp, now });
      return credential;
    });
  };

  router.post("/v1/registry/token", async (req: Request, res: Response, next: NextFunction) => {
    try {
      const body = postBody.parse(req.body && Object.keys(req.body).length ? req.body : undefined);
      const credential = await issueFor(req, (tier) => {
        const namespaces = tierRepositories(tier, prefix);
        const requested = (body?.repositories ?? []).map((name) => parseScope(`repository:${name}:pull`));
        return {
          access: requested.length
            ? grantedAccess(requested, namespaces)
            : namespaces.map((name) => ({ type: "repository" as const, name, actions: ["pull"] })),
        };
      });
      res.setHeader("Cache-Control", "no-store");
      res.status(201).json({
        kind: credential.kind,
        registry: credential.registry,
        username: credential.username,
        secret: credential.secret,
        expiresAt: credential.expiresAt.toISOString(),
        repositories: credential.repositories,
      });
    } catch (error) {
      next(error);
    }
  });

  router.get("/v1/registry/token", async (req: Request, res: Response, next: NextFunction) => {
    try {
      const query = getQuery.parse(req.query);
      const scopes =
        query.scope === undefined ? [] : Array.isArray(query.scope) ? query.scope : [query.scope];
      const requested = scopes
        .flatMap((s) => s.split(" "))
        .filter(Boolean)
        .map(parseScope);
      const credential = await issueFor(req, (tier) => ({
        access: grantedAccess(requested, tierRepositories(tier, prefix)),
        service: query.service,
      }));
      const now = deps.clock.now();
      res.setHeader("Cache-Control", "no-store");
      res.json({
        token: credential.secret,
        access_token: credential.secret,
        expires_in: Math.max(1, Math.round((credential.expiresAt.getTime() - now.getTime()) / 1000)),
        issued_at: now.toISOString(),
      });
    } catch (error) {
      if (error instanceof ApiError && error.status === 401) {
        res.setHeader("WWW-Authenticate", 'Basic realm="coditect license key"');
      }
      next(error);
    }
  });

  return router;
}

async function limitOrThrow(charges: Parameters<typeof takeLocal>[0]): Promise<void> {
  const local = takeLocal(charges);
  const decision = local.allowed ? await takeShared(charges) : local;
  if (decision.allowed) return;
  const seconds = decision.retryAfterSeconds;
  throw new ApiError(
    429,
    "rate_limited",
    `too many registry token requests; retry after ${seconds} s`,
    seconds,
  );
}
