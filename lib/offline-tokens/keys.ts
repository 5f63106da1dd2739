/**
 * The offline-token signing key set: Ed25519 keys in three rotation slots. The license server signs with
 * `current`, publishes all three in its JWKS, and verifiers accept any published key, so a rotation is:
 * publish a `next` key, wait until every cached JWKS has it (longer than the JWKS cache lifetime), promote
 * next → current and current → previous, and drop `previous` once every token it signed has expired
 * (72 h after the last heartbeat it was issued on). See docs/sessions.md.
 */
import { createPrivateKey, createPublicKey, generateKeyPairSync, type KeyObject } from "node:crypto";
import { readFileSync } from "node:fs";
import { calculateJwkThumbprint, type JWK } from "jose";
import { z } from "zod";

export const OFFLINE_TOKEN_ALG = "EdDSA";
export const KEY_SLOTS = ["current", "next", "previous"] as const;
export type KeySlot = (typeof KEY_SLOTS)[number];

/** One Ed25519 key with its id. The private half never leaves the server process. */
export interface SigningKey {
  kid: string;
  privateKey: KeyObject;
  publicJwk: JWK;
}

export interface OfflineTokenKeySet {
  current: SigningKey;
  next?: SigningKey;
  previous?: SigningKey;
}

const privateOkpJwk = z.object({
  kty: z.literal("OKP"),
  crv: z.literal("Ed25519"),
  x: z.string().min(1),
  d: z.string().min(1),
  kid: z.string().min(1).max(128).optional(),
});

const keySetConfig = z.object({
  current: privateOkpJwk,
  next: privateOkpJwk.optional(),
  previous: privateOkpJwk.optional(),
});

/** The configuration document: private JWKs per slot (as stored in Secret Manager). */
export type KeySetConfig = z.infer<typeof keySetConfig>;

/** Builds a signing key from a private Ed25519 JWK; the kid is the JWK's own or its RFC 7638 thumbprint. */
export async function signingKeyFromJwk(jwk: z.infer<typeof privateOkpJwk>): Promise<SigningKey> {
  const { kid: givenKid, ...keyMaterial } = jwk;
  const privateKey = createPrivateKeyFromJwk(keyMaterial);
  const publicJwk = createPublicKey(privateKey).export({ format: "jwk" }) as JWK;
  const kid = givenKid ?? (await calculateJwkThumbprint(publicJwk, "sha256"));
  return { kid, privateKey, publicJwk: { ...publicJwk, kid, alg: OFFLINE_TOKEN_ALG, use: "sig" } };
}

function createPrivateKeyFromJwk(jwk: { kty: string; crv: string; x: string; d: string }): KeyObject {
  // Wrap errors so a bad secret says what is wrong (without echoing the key material).
  try {
    return createPrivateKey({ key: jwk, format: "jwk" });
  } catch (error) {
    throw new Error(`offline-token key is not a valid Ed25519 private JWK: ${(error as Error).message}`);
  }
}

/** A fresh random Ed25519 signing key (development and tests). */
export async function generateSigningKey(kid?: string): Promise<SigningKey> {
  const { privateKey } = generateKeyPairSync("ed25519");
  const jwk = privateKey.export({ format: "jwk" }) as { kty: "OKP"; crv: "Ed25519"; x: string; d: string };
  return signingKeyFromJwk({ ...jwk, ...(kid ? { kid } : {}) });
}

/** Exports a key's private JWK (for writing a generated dev key set to a file, never to logs). */
export function exportPrivateJwk(key: SigningKey): Record<string, string> {
  const jwk = key.privateKey.export({ format: "jwk" }) as Record<string, string>;
  return { ...jwk, kid: key.kid };
}

/** Parses a key-set configuration document (JSON text); errors name the slot and field at fault. */
export async function keySetFromConfig(json: string, source: string): Promise<OfflineTokenKeySet> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(json);
  } catch (error) {
    throw new Error(`${source}: offline-token key set is not JSON (${(error as Error).message})`);
  }
  const result = keySetConfig.safeParse(parsed);
  if (!result.success) {
    const issue = result.error.issues[0];
    throw new Error(
      `${source}: invalid offline-token key set at ${issue?.path.join(".") || "(root)"}: ${issue?.message}. ` +
        `Expected {"current": <Ed25519 private JWK>, "next"?: …, "previous"?: …}`,
    );
  }
  const slots: Partial<OfflineTokenKeySet> = {};
  for (const slot of KEY_SLOTS) {
    const jwk = result.data[slot];
    if (jwk) slots[slot] = await signingKeyFromJwk(jwk);
  }
  const keySet = slots as OfflineTokenKeySet;
  assertDistinctKids(keySet, source);
  return keySet;
}

function assertDistinctKids(keySet: OfflineTokenKeySet, source: string): void {
  const seen = new Map<string, KeySlot>();
  for (const slot of KEY_SLOTS) {
    const key = keySet[slot];
    if (!key) continue;
    const other = seen.get(key.kid);
    if (other) throw new Error(`${source}: slots "${other}" and "${slot}" share kid "${key.kid}"`);
    seen.set(key.kid, slot);
  }
}

export interface KeySetEnv {
  /** Inline key-set JSON (Secret Manager mounted as an env var). */
  OFFLINE_TOKEN_KEYS?: string;
  /** Path of a file holding the key-set JSON (Secret Manager mounted as a file). */
  OFFLINE_TOKEN_KEYS_FILE?: string;
}

/**
 * Loads the key set from configuration. With neither variable set it generates an ephemeral key and says
 * so through `onEphemeral` (dev only: tokens signed by it die with the process).
 */
export async function loadKeySet(
  env: KeySetEnv,
  onEphemeral: (message: string) => void = () => {},
): Promise<OfflineTokenKeySet> {
  if (env.OFFLINE_TOKEN_KEYS && env.OFFLINE_TOKEN_KEYS_FILE) {
    throw new Error("set only one of OFFLINE_TOKEN_KEYS and OFFLINE_TOKEN_KEYS_FILE");
  }
  if (env.OFFLINE_TOKEN_KEYS) return keySetFromConfig(env.OFFLINE_TOKEN_KEYS, "OFFLINE_TOKEN_KEYS");
  if (env.OFFLINE_TOKEN_KEYS_FILE) {
    let text: string;
    try {
      text = readFileSync(env.OFFLINE_TOKEN_KEYS_FILE, "utf8");
    } catch (error) {
      throw new Error(
        `OFFLINE_TOKEN_KEYS_FILE=${env.OFFLINE_TOKEN_KEYS_FILE} cannot be read: ${(error as Error).message}`,
      );
    }
    return keySetFromConfig(text, `OFFLINE_TOKEN_KEYS_FILE=${env.OFFLINE_TOKEN_KEYS_FILE}`);
  }
  onEphemeral(
    "no OFFLINE_TOKEN_KEYS or OFFLINE_TOKEN_KEYS_FILE: signing offline tokens with an ephemeral key (development only)",
  );
  return { current: await generateSigningKey() };
}
