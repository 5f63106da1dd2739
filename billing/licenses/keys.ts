/**
 * License keys: `CODITECT-<TIER>-` + 32 random base32 characters (160 bits), at most 50 characters
 * (seed 000:2955). Shown once, stored only as a SHA-256 hash (ADR 0031): the key is high-entropy random, so
 * a fast unsalted hash is safe and lets the sessions API find a license by key with one indexed lookup.
 */
import { createHash, randomBytes } from "node:crypto";
import type { LicenseTier } from "../../lib/domain.js";

const BASE32 = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
const TIER_CODE: Record<LicenseTier, string> = { starter: "STR", pro: "PRO", enterprise: "ENT" };
export const LICENSE_KEY_PATTERN = /^CODITECT-(STR|PRO|ENT)-[A-Z2-7]{32}$/;
export const LICENSE_KEY_MAX_LENGTH = 50;

function base32(bytes: Uint8Array): string {
  let bits = 0;
  let value = 0;
  let out = "";
  for (const byte of bytes) {
    value = (value << 8) | byte;
    bits += 8;
    while (bits >= 5) {
      out += BASE32[(value >>> (bits - 5)) & 31];
      bits -= 5;
    }
  }
  return out;
}

/** A new random license key for a tier. */
export function generateLicenseKey(tier: LicenseTier): string {
  return `CODITECT-${TIER_CODE[tier]}-${base32(randomBytes(20))}`;
}

/** The value stored in licenses.key_hash: hex SHA-256 of the key as given (keys are case-sensitive). */
export function hashLicenseKey(key: string): string {
  return createHash("sha256").update(key, "utf8").digest("hex");
}
