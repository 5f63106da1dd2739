import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { SignJWT } from "jose";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ManualClock } from "../clock.js";
import { TIMING } from "../domain.js";
import {
  exportPrivateJwk,
  generateSigningKey,
  keySetFromConfig,
  loadKeySet,
  OFFLINE_TOKEN_AUDIENCE,
  OFFLINE_TOKEN_ISSUER,
  OFFLINE_TOKEN_TYPE,
  OfflineTokenError,
  type OfflineTokenKeySet,
  type OfflineTokenRejection,
  publicJwks,
  readCachedJwks,
  refreshJwks,
  signOfflineToken,
  signOfflineTokenSync,
  verifyOfflineToken,
} from "./index.js";

const claims = {
  licenseId: "lic-1",
  sessionId: "5b0c7c1e-0000-4000-8000-000000000001",
  organization: "acme",
  tier: "pro",
  containerId: "container-a",
} as const;
const heartbeat = new Date("2026-03-01T12:00:00Z");

async function rejection(promise: Promise<unknown>): Promise<OfflineTokenRejection> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof OfflineTokenError) return error.reason;
    throw error;
  }
  throw new Error("expected the token to be rejected");
}

describe("offline tokens", () => {
  let keys: OfflineTokenKeySet;
  beforeAll(async () => {
    keys = {
      current: await generateSigningKey("k-current"),
      next: await generateSigningKey("k-next"),
      previous: await generateSigningKey("k-previous"),
    };
  });

  it("round-trips the claims and expires 72 h after the last heartbeat", async () => {
    const { token, expiresAt } = await signOfflineToken(keys, claims, heartbeat);
    expect(expiresAt.getTime() - heartbeat.getTime()).toBe(TIMING.offlineGraceMs);
    const [headerPart] = token.split(".");
    expect(JSON.parse(Buffer.from(headerPart!, "base64url").toString())).toMatchObject({
      alg: "EdDSA",
      kid: "k-current",
    });
    const verified = await verifyOfflineToken(
      token,
      publicJwks(keys),
      new ManualClock(heartbeat),
      claims.containerId,
    );
    expect(verified).toMatchObject({ ...claims, kid: "k-current", expiresAt });
  });

  it("signs byte-for-byte what jose's SignJWT produced before (ADR 0300), so deployed agents see no change", async () => {
    const licenseEnd = new Date(heartbeat.getTime() + 3_600_000);
    const cases = [
      { keySet: keys, claims, expiresAt: undefined },
      {
        keySet: { current: keys.next! },
        claims: { ...claims, tier: "enterprise" as const },
        expiresAt: licenseEnd,
      },
      {
        keySet: keys,
        claims: { ...claims, organization: "ünïcode-örg", containerId: "c:1.x" },
        expiresAt: licenseEnd,
      },
    ];
    for (const { keySet, claims: c, expiresAt } of cases) {
      const exp = expiresAt ?? new Date(heartbeat.getTime() + TIMING.offlineGraceMs);
      const viaJose = await new SignJWT({
        lic: c.licenseId,
        org: c.organization,
        tier: c.tier,
        cid: c.containerId,
      })
        .setProtectedHeader({ alg: "EdDSA", kid: keySet.current.kid, typ: OFFLINE_TOKEN_TYPE })
        .setIssuer(OFFLINE_TOKEN_ISSUER)
        .setAudience(OFFLINE_TOKEN_AUDIENCE)
        .setSubject(c.sessionId)
        .setIssuedAt(Math.floor(heartbeat.getTime() / 1000))
        .setExpirationTime(Math.floor(exp.getTime() / 1000))
        .sign(keySet.current.privateKey);
      const direct = signOfflineTokenSync(keySet, c, heartbeat, expiresAt);
      expect(direct.token).toBe(viaJose);
      expect(direct.expiresAt).toEqual(exp);
      expect((await signOfflineToken(keySet, c, heartbeat, expiresAt)).token).toBe(viaJose);
    }
  });

  const atTimes: [string, number, OfflineTokenRejection | "valid"][] = [
    ["right after the heartbeat", 0, "valid"],
    ["one second before the grace ends", TIMING.offlineGraceMs - 1_000, "valid"],
    ["exactly when the grace ends", TIMING.offlineGraceMs, "expired"],
    ["a day after the grace ends", TIMING.offlineGraceMs + 86_400_000, "expired"],
  ];
  it.each(atTimes)("verified %s → %s", async (_label, offset, expected) => {
    const { token } = await signOfflineToken(keys, claims, heartbeat);
    const clock = new ManualClock(new Date(heartbeat.getTime() + offset));
    const outcome = verifyOfflineToken(token, publicJwks(keys), clock, claims.containerId);
    if (expected === "valid") await expect(outcome).resolves.toMatchObject({ sessionId: claims.sessionId });
    else expect(await rejection(outcome)).toBe(expected);
  });

  it("verifies with any published key: tokens from the previous and next slots still pass after rotation", async () => {
    const signedByOld = await signOfflineToken({ current: keys.previous! }, claims, heartbeat);
    const signedByNext = await signOfflineToken({ current: keys.next! }, claims, heartbeat);
    const clock = new ManualClock(heartbeat);
    await expect(
      verifyOfflineToken(signedByOld.token, publicJwks(keys), clock, claims.containerId),
    ).resolves.toMatchObject({
      kid: "k-previous",
    });
    await expect(
      verifyOfflineToken(signedByNext.token, publicJwks(keys), clock, claims.containerId),
    ).resolves.toMatchObject({
      kid: "k-next",
    });
  });

  it("rejects tokens by reason: unpublished key, forged signature, tampered payload, garbage", async () => {
    const clock = new ManualClock(heartbeat);
    const stranger = { current: await generateSigningKey("k-stranger") };
    const { token: unknownKid } = await signOfflineToken(stranger, claims, heartbeat);
    expect(await rejection(verifyOfflineToken(unknownKid, publicJwks(keys), clock, claims.containerId))).toBe(
      "unknown_key",
    );

    // Same kid as the published current key, different private key: a forgery.
    const impostor = { current: { ...(await generateSigningKey()), kid: "k-current" } };
    const { token: forged } = await signOfflineToken(impostor, claims, heartbeat);
    expect(await rejection(verifyOfflineToken(forged, publicJwks(keys), clock, claims.containerId))).toBe(
      "bad_signature",
    );

    const { token } = await signOfflineToken(keys, claims, heartbeat);
    const [h, p, s] = token.split(".");
    const payload = JSON.parse(Buffer.from(p!, "base64url").toString());
    const tampered = `${h}.${Buffer.from(JSON.stringify({ ...payload, tier: "enterprise" })).toString("base64url")}.${s}`;
    expect(await rejection(verifyOfflineToken(tampered, publicJwks(keys), clock, claims.containerId))).toBe(
      "bad_signature",
    );

    expect(
      await rejection(verifyOfflineToken("not-a-jwt", publicJwks(keys), clock, claims.containerId)),
    ).toBe("malformed");
  });

  it("is bound to its container: another container id, or a token without one, is refused (issue 13 §7)", async () => {
    const clock = new ManualClock(heartbeat);
    const { token } = await signOfflineToken(keys, claims, heartbeat);
    const elsewhere = verifyOfflineToken(token, publicJwks(keys), clock, "container-b");
    await expect(elsewhere).rejects.toThrow(
      /bound to container "container-a", not to this container "container-b"/,
    );
    expect(await rejection(verifyOfflineToken(token, publicJwks(keys), clock, "container-b"))).toBe(
      "wrong_container",
    );
    // A token as issued before the binding (no cid claim), signed by a published key.
    const unbound = await new SignJWT({ lic: "lic-1", org: "acme", tier: "pro" })
      .setProtectedHeader({ alg: "EdDSA", kid: "k-current", typ: OFFLINE_TOKEN_TYPE })
      .setIssuer(OFFLINE_TOKEN_ISSUER)
      .setAudience(OFFLINE_TOKEN_AUDIENCE)
      .setSubject(claims.sessionId)
      .setIssuedAt(Math.floor(heartbeat.getTime() / 1000))
      .setExpirationTime(Math.floor(heartbeat.getTime() / 1000) + 3600)
      .sign(keys.current.privateKey);
    expect(await rejection(verifyOfflineToken(unbound, publicJwks(keys), clock, "container-a"))).toBe(
      "wrong_container",
    );
  });

  it("expires when the issuer says: an explicit expiry (the license's end) wins over the 72 h default", async () => {
    const licenseEnd = new Date(heartbeat.getTime() + 3_600_000);
    const { token, expiresAt } = await signOfflineToken(keys, claims, heartbeat, licenseEnd);
    expect(expiresAt).toEqual(licenseEnd);
    const justAfter = new ManualClock(new Date(licenseEnd.getTime() + 1_000));
    expect(await rejection(verifyOfflineToken(token, publicJwks(keys), justAfter, "container-a"))).toBe(
      "expired",
    );
  });

  it("publishes only public key material", () => {
    const jwks = publicJwks(keys);
    expect(jwks.keys.map((k) => k.kid)).toEqual(["k-current", "k-next", "k-previous"]);
    for (const key of jwks.keys) {
      expect(key).not.toHaveProperty("d");
      expect(key).toMatchObject({ kty: "OKP", crv: "Ed25519", alg: "EdDSA", use: "sig" });
    }
  });
});

describe("key-set configuration", () => {
  const dir = mkdtempSync(join(tmpdir(), "offline-keys-"));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("loads private JWKs from an env var or a file, keeping their kids", async () => {
    const current = await generateSigningKey("2026-03");
    const previous = await generateSigningKey("2026-02");
    const json = JSON.stringify({ current: exportPrivateJwk(current), previous: exportPrivateJwk(previous) });
    const fromEnv = await loadKeySet({ OFFLINE_TOKEN_KEYS: json });
    expect(fromEnv.current.kid).toBe("2026-03");
    expect(fromEnv.previous?.kid).toBe("2026-02");
    const file = join(dir, "keys.json");
    writeFileSync(file, json);
    const fromFile = await loadKeySet({ OFFLINE_TOKEN_KEYS_FILE: file });
    // Same key → a token signed from the env config verifies with the JWKS from the file config.
    const { token } = await signOfflineToken(fromEnv, claims, heartbeat);
    await expect(
      verifyOfflineToken(token, publicJwks(fromFile), new ManualClock(heartbeat), claims.containerId),
    ).resolves.toBeTruthy();
  });

  it("derives a kid from the JWK thumbprint when the config gives none", async () => {
    const { kid: _ignored, ...withoutKid } = exportPrivateJwk(await generateSigningKey("x"));
    const keySet = await keySetFromConfig(JSON.stringify({ current: withoutKid }), "test");
    expect(keySet.current.kid).toMatch(/^[A-Za-z0-9_-]{43}$/);
  });

  const badConfigs: [string, string, RegExp][] = [
    ["not JSON", "{", /not JSON/],
    ["no current slot", "{}", /at current/],
    ["an RSA key", JSON.stringify({ current: { kty: "RSA", n: "a", e: "AQAB", d: "b" } }), /at current\.kty/],
    [
      "a public key only",
      JSON.stringify({ current: { kty: "OKP", crv: "Ed25519", x: "abc" } }),
      /at current\.d/,
    ],
    [
      "key material that is not a key",
      JSON.stringify({ current: { kty: "OKP", crv: "Ed25519", x: "AAAA", d: "AAAA" } }),
      /not a valid Ed25519 private JWK/,
    ],
  ];
  it.each(badConfigs)("rejects %s with a specific message", async (_label, json, message) => {
    await expect(keySetFromConfig(json, "OFFLINE_TOKEN_KEYS")).rejects.toThrow(message);
  });

  it("rejects two slots with the same kid, both variables at once, and an unreadable file", async () => {
    const a = exportPrivateJwk(await generateSigningKey("same"));
    const b = exportPrivateJwk(await generateSigningKey("same"));
    await expect(keySetFromConfig(JSON.stringify({ current: a, next: b }), "cfg")).rejects.toThrow(
      /share kid "same"/,
    );
    await expect(loadKeySet({ OFFLINE_TOKEN_KEYS: "{}", OFFLINE_TOKEN_KEYS_FILE: "/x" })).rejects.toThrow(
      /only one/,
    );
    await expect(loadKeySet({ OFFLINE_TOKEN_KEYS_FILE: join(dir, "missing.json") })).rejects.toThrow(
      /cannot be read/,
    );
  });

  it("generates an ephemeral key and says so when nothing is configured", async () => {
    const messages: string[] = [];
    const keySet = await loadKeySet({}, (m) => messages.push(m));
    expect(keySet.current.kid).toBeTruthy();
    expect(messages[0]).toMatch(/ephemeral/);
  });
});

describe("JWKS disk cache", () => {
  const dir = mkdtempSync(join(tmpdir(), "jwks-cache-"));
  let server: Server;
  let url: string;
  let served: unknown;
  beforeAll(async () => {
    server = createServer((_req, res) => {
      if (served === undefined) {
        res.writeHead(503).end();
        return;
      }
      res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify(served));
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/.well-known/jwks.json`;
  });
  afterAll(async () => {
    await new Promise((resolve) => server.close(resolve));
    rmSync(dir, { recursive: true, force: true });
  });

  it("caches the fetched JWKS and serves the cached copy while the server is down", async () => {
    const cachePath = join(dir, "jwks.json");
    const keySet = { current: await generateSigningKey("cached") };
    served = publicJwks(keySet);
    expect(await refreshJwks(url, cachePath)).toMatchObject({ fromCache: false });
    expect(readCachedJwks(cachePath)?.keys[0]?.kid).toBe("cached");

    served = undefined;
    const offline = await refreshJwks(url, cachePath);
    expect(offline.fromCache).toBe(true);
    const { token } = await signOfflineToken(keySet, claims, heartbeat);
    await expect(
      verifyOfflineToken(token, offline.jwks, new ManualClock(heartbeat), claims.containerId),
    ).resolves.toBeTruthy();
  });

  it("fails clearly with no cache and no server, and refuses a corrupt cache", async () => {
    served = undefined;
    await expect(refreshJwks(url, join(dir, "none.json"))).rejects.toThrow(/no cached JWKS/);
    const corrupt = join(dir, "corrupt.json");
    writeFileSync(corrupt, JSON.stringify({ keys: [] }));
    expect(() => readCachedJwks(corrupt)).toThrow(/holds no key/);
    expect(readFileSync(corrupt, "utf8")).toContain("keys");
  });
});
