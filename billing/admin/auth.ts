/**
 * Bearer-token authentication for /v1/admin. Both tokens are hashed before comparison so
 * crypto.timingSafeEqual always compares equal-length buffers and the comparison time reveals nothing.
 */
import { createHash, timingSafeEqual } from "node:crypto";
import type { Request, RequestHandler } from "express";
import { ApiError } from "../http/errors.js";

const sha256 = (s: string) => createHash("sha256").update(s, "utf8").digest();
const ACTOR_PATTERN = /^[\w.@+-]{1,100}$/;

declare module "express-serve-static-core" {
  interface Request {
    /** Audit actor for admin requests: `admin` or `admin:<X-Admin-Actor>`. */
    adminActor?: string;
  }
}

/** A warning with the caller's address: repeated failures are someone guessing the token (ADR 0131). */
function authFailed(req: Request, reason: string): void {
  req.log.warn(
    { clientIp: req.socket.remoteAddress, path: req.originalUrl.split("?")[0], reason },
    "admin authentication failed",
  );
}

export function requireAdminToken(adminToken: string): RequestHandler {
  const expected = sha256(adminToken);
  return (req, res, next) => {
    const header = req.get("authorization") ?? "";
    const match = /^Bearer (\S+)$/.exec(header);
    if (!match) {
      authFailed(req, "missing bearer token");
      res.setHeader("www-authenticate", 'Bearer realm="coditect-admin"');
      throw new ApiError(401, "unauthorized", "admin API requires Authorization: Bearer <ADMIN_TOKEN>");
    }
    if (!timingSafeEqual(sha256(match[1]!), expected)) {
      authFailed(req, "wrong bearer token");
      res.setHeader("www-authenticate", 'Bearer realm="coditect-admin", error="invalid_token"');
      throw new ApiError(401, "invalid_token", "the admin bearer token is not valid");
    }
    const actor = req.get("x-admin-actor");
    if (actor !== undefined && !ACTOR_PATTERN.test(actor)) {
      throw new ApiError(
        400,
        "invalid_request",
        "X-Admin-Actor: must be 1-100 characters of letters, digits, . _ @ + -",
      );
    }
    req.adminActor = actor ? `admin:${actor}` : "admin";
    next();
  };
}
