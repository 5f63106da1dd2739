/**
 * Session tokens: 256 random bits, shown to the container once (validate), stored only as SHA-256. A fast
 * unsalted hash is right for a high-entropy random secret and gives an indexed lookup per heartbeat.
 */
import { createHash, randomBytes } from "node:crypto";

const PREFIX = "cst_";
export const SESSION_TOKEN_PATTERN = /^cst_[A-Za-z0-9_-]{43}$/;

export function generateSessionToken(): string {
  return `${PREFIX}${randomBytes(32).toString("base64url")}`;
}

export function hashSessionToken(token: string): string {
  return createHash("sha256").update(token, "utf8").digest("hex");
}

/** The bearer token of an Authorization header, or undefined when absent or malformed. */
export function bearerToken(header: string | undefined): string | undefined {
  const match = /^Bearer (\S+)$/i.exec(header ?? "");
  return match && SESSION_TOKEN_PATTERN.test(match[1]!) ? match[1] : undefined;
}
