/**
 * Offline tokens: Ed25519 JWS (compact JWT) the license server hands a container with every successful
 * validate and heartbeat. The container verifies it without the network against the JWKS baked into its
 * agent; it is valid until the tier's offline grace after the last successful heartbeat, never past the
 * license's own end (billing/sessions/decide.ts, offlineTokenExpiry). It is bound to one container (`cid`):
 * a copy in another container is refused, so one validate cannot license many containers (issue 13 §7).
 * The token carries no secret: knowing it grants nothing on the server.
 */
import { sign } from "node:crypto";
import { createLocalJWKSet, type JSONWebKeySet, errors as joseErrors, jwtVerify } from "jose";
import type { Clock } from "../clock.js";
import { LICENSE_TIER_NAMES, type LicenseTier, TIMING } from "../domain.js";
import { OFFLINE_TOKEN_ALG, type OfflineTokenKeySet } from "./keys.js";

export const OFFLINE_TOKEN_ISSUER = "coditect-license-server";
export const OFFLINE_TOKEN_AUDIENCE = "coditect-container";
/** JOSE `typ` header: marks these tokens so no other JWT signed by the same key can pass as one. */
export const OFFLINE_TOKEN_TYPE = "coditect-offline+jwt";

export interface OfflineTokenClaims {
  licenseId: string;
  sessionId: string;
  organization: string;
  tier: LicenseTier;
  /** The container the session was admitted for; the agent refuses the token in any other container. */
  containerId: string;
}

export interface VerifiedOfflineToken extends OfflineTokenClaims {
  kid: string;
  issuedAt: Date;
  expiresAt: Date;
}

/**
 * Signs an offline token with the key set's current key, issued at the last heartbeat and expiring at
 * `expiresAt` (default: 72 h later; billing passes the tier's grace capped by the license's end).
 *
 * Synchronous on purpose (issue 18 goal 1, ADR 0300): node:crypto's one-shot Ed25519 `sign` costs ~50 µs on
 * the request's own thread, where jose's SignJWT goes through WebCrypto's promise job on the thread pool
 * (a round trip through libuv per token). The output is byte-for-byte what SignJWT produced — the same
 * header and claim order, deterministic Ed25519 — so agents and the published JWKS see no difference
 * (tokens.test.ts compares the two).
 */
export function signOfflineTokenSync(
  keySet: OfflineTokenKeySet,
  claims: OfflineTokenClaims,
  lastHeartbeat: Date,
  expiresAt: Date = new Date(lastHeartbeat.getTime() + TIMING.offlineGraceMs),
): { token: string; expiresAt: Date } {
  const header = { alg: OFFLINE_TOKEN_ALG, kid: keySet.current.kid, typ: OFFLINE_TOKEN_TYPE };
  const payload = {
    lic: claims.licenseId,
    org: claims.organization,
    tier: claims.tier,
    cid: claims.containerId,
    iss: OFFLINE_TOKEN_ISSUER,
    aud: OFFLINE_TOKEN_AUDIENCE,
    sub: claims.sessionId,
    iat: Math.floor(lastHeartbeat.getTime() / 1000),
    exp: Math.floor(expiresAt.getTime() / 1000),
  };
  const signingInput = `${base64url(JSON.stringify(header))}.${base64url(JSON.stringify(payload))}`;
  // Ed25519 takes no digest: the algorithm argument is null.
  const signature = sign(null, Buffer.from(signingInput), keySet.current.privateKey);
  return { token: `${signingInput}.${signature.toString("base64url")}`, expiresAt };
}

/** signOfflineTokenSync as a promise, for callers written against the earlier asynchronous signer. */
export async function signOfflineToken(
  keySet: OfflineTokenKeySet,
  claims: OfflineTokenClaims,
  lastHeartbeat: Date,
  expiresAt?: Date,
): Promise<{ token: string; expiresAt: Date }> {
  return signOfflineTokenSync(keySet, claims, lastHeartbeat, expiresAt);
}

function base64url(text: string): string {
  return Buffer.from(text, "utf8").toString("base64url");
}

/** The public JWKS document served at GET /.well-known/jwks.json: every published slot, no private parts. */
export function publicJwks(keySet: OfflineTokenKeySet): JSONWebKeySet {
  const keys = [keySet.current, keySet.next, keySet.previous].filter((k) => k !== undefined);
  return { keys: keys.map((k) => ({ ...k.publicJwk })) };
}

/** Why an offline token was not accepted; stable codes the agent maps to exit codes and messages. */
export type OfflineTokenRejection =
  | "expired"
  | "unknown_key"
  | "bad_signature"
  | "malformed"
  | "wrong_claims"
  | "wrong_container";

export class OfflineTokenError extends Error {
  constructor(
    readonly reason: OfflineTokenRejection,
    message: string,
  ) {
    super(message);
    this.name = "OfflineTokenError";
  }
}

/**
 * Verifies an offline token against a JWKS (any published key), at the injected clock's time, for the
 * container `containerId`. Throws OfflineTokenError with a reason code; returns the claims when the token
 * is valid now. A token without a `cid` (issued before issue 13 §7) is refused like one for another
 * container: it could be copied anywhere.
 */
export async function verifyOfflineToken(
  token: string,
  jwks: JSONWebKeySet,
  clock: Clock,
  containerId: string,
): Promise<VerifiedOfflineToken> {
  try {
    const { payload, protectedHeader } = await jwtVerify(token, createLocalJWKSet(jwks), {
      algorithms: [OFFLINE_TOKEN_ALG],
      issuer: OFFLINE_TOKEN_ISSUER,
      audience: OFFLINE_TOKEN_AUDIENCE,
      typ: OFFLINE_TOKEN_TYPE,
      currentDate: clock.now(),
      clockTolerance: 0,
      requiredClaims: ["exp", "iat", "sub"],
    });
    const { lic, org, tier, cid, sub, exp, iat } = payload;
    if (typeof lic !== "string" || typeof org !== "string" || !isTier(tier) || !sub || !exp || !iat) {
      throw new OfflineTokenError("wrong_claims", "offline token lacks lic/org/tier claims");
    }
    if (cid !== containerId) {
      throw new OfflineTokenError(
        "wrong_container",
        typeof cid === "string"
          ? `offline token is bound to container "${cid}", not to this container "${containerId}"`
          : `offline token is bound to no container (issued before container binding); this container is "${containerId}"`,
      );
    }
    return {
      kid: protectedHeader.kid ?? "",
      licenseId: lic,
      sessionId: sub,
      organization: org,
      tier,
      containerId: cid,
      issuedAt: new Date(iat * 1000),
      expiresAt: new Date(exp * 1000),
    };
  } catch (error) {
    throw toRejection(error);
  }
}

function isTier(value: unknown): value is LicenseTier {
  return typeof value === "string" && (LICENSE_TIER_NAMES as string[]).includes(value);
}

function toRejection(error: unknown): OfflineTokenError {
  if (error instanceof OfflineTokenError) return error;
  if (error instanceof joseErrors.JWTExpired)
    return new OfflineTokenError("expired", "offline token has expired");
  if (error instanceof joseErrors.JWKSNoMatchingKey) {
    return new OfflineTokenError("unknown_key", "offline token was signed by a key not in the JWKS");
  }
  if (error instanceof joseErrors.JWSSignatureVerificationFailed) {
    return new OfflineTokenError("bad_signature", "offline token signature does not verify");
  }
  if (error instanceof joseErrors.JWTClaimValidationFailed) {
    return new OfflineTokenError(
      "wrong_claims",
      `offline token claim "${error.claim}" is wrong: ${error.reason}`,
    );
  }
  return new OfflineTokenError("malformed", `offline token is malformed: ${(error as Error).message}`);
}
