/**
 * POST/GET /v1/registry/token against billing with a real PostgreSQL: authentication, entitlement,
 * tiers, bad input (4xx naming the value, nothing recorded), rate limits and the audit trail.
 */
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createCertificateAuthority } from "../../test-support/pki/index.js";
import { type BillingHarness, startBillingHarness } from "../testing/harness.js";
import { REGISTRY_RATE_LIMITS } from "./router.js";

let h: BillingHarness;
let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), "registry-router-"));
  const ca = await createCertificateAuthority("ca");
  const leaf = await ca.issue({ commonName: "signer" });
  await writeFile(path.join(dir, "key.pem"), leaf.keyPem);
  await writeFile(path.join(dir, "certs.pem"), leaf.certPem);
  h = await startBillingHarness({
    env: {
      REGISTRY_CREDENTIALS: "docker-token",
      REGISTRY_HOST: "registry.sandbox.test:5000",
      REGISTRY_TOKEN_ISSUER: "coditect-billing",
      REGISTRY_TOKEN_SERVICE: "sandbox-registry",
      REGISTRY_TOKEN_KEY_FILE: path.join(dir, "key.pem"),
      REGISTRY_TOKEN_CERTS_FILE: path.join(dir, "certs.pem"),
      REGISTRY_TOKEN_LIFETIME_SECONDS: "120",
    },
  });
}, 60_000);
afterAll(async () => {
  await h?.stop();
  await rm(dir, { recursive: true, force: true });
});

const license = async (tier: string) => {
  const res = await h.admin("POST", "/licenses", {
    organization: `${tier}-${Math.random().toString(36).slice(2, 8)}`,
    customerEmail: "lead@example.test",
    tier,
    provisioningType: "pilot",
    durationDays: 30,
    seats: 5,
  });
  const body = (await res.json()) as { license: { id: string }; licenseKey: string };
  return { id: body.license.id, key: body.licenseKey };
};
const post = (authorization?: string, body?: unknown) =>
  fetch(`${h.url}/v1/registry/token`, {
    method: "POST",
    headers: {
      ...(authorization ? { authorization } : {}),
      ...(body === undefined ? {} : { "content-type": "application/json" }),
    },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
const get = (query: string, authorization?: string) =>
  fetch(`${h.url}/v1/registry/token?${query}`, { headers: authorization ? { authorization } : {} });
const basic = (key: string, user = "license") => `Basic ${Buffer.from(`${user}:${key}`).toString("base64")}`;
const code = async (res: Response) =>
  ((await res.json()) as { error: { code: string; message: string } }).error;
const issued = async (licenseId: string) =>
  (
    await h.pool.query("SELECT count(*)::int AS n FROM registry_credentials WHERE license_id = $1", [
      licenseId,
    ])
  ).rows[0].n as number;

describe("POST /v1/registry/token", () => {
  it("issues a credential for the tier with its expiry, with the key as Bearer or as Basic password", async () => {
    const pro = await license("pro");
    const res = await post(`Bearer ${pro.key}`);
    expect(res.status).toBe(201);
    expect(res.headers.get("cache-control")).toBe("no-store");
    const body = (await res.json()) as Record<string, unknown>;
    expect(body).toMatchObject({
      kind: "docker-token",
      registry: "registry.sandbox.test:5000",
      username: "license",
      repositories: ["coditect-images"],
      expiresAt: new Date(h.clock.now().getTime() + 120_000).toISOString(),
    });
    const viaBasic = await post(basic(pro.key, "anything"), {
      repositories: ["coditect-images/coditect-docker"],
    });
    expect(viaBasic.status).toBe(201);
    expect(((await viaBasic.json()) as { repositories: string[] }).repositories).toEqual([
      "coditect-images/coditect-docker",
    ]);
    const enterprise = await license("enterprise");
    const ent = (await (await post(`Bearer ${enterprise.key}`)).json()) as { repositories: string[] };
    expect(ent.repositories).toEqual(["coditect-images", "coditect-enterprise"]);
  });

  it("audits every issuance without the token or the key", async () => {
    const pro = await license("pro");
    const { secret } = (await (await post(`Bearer ${pro.key}`)).json()) as { secret: string };
    const { rows } = await h.pool.query(
      "SELECT actor, details FROM audit_events WHERE license_id = $1 AND action = 'registry.credential_issued'",
      [pro.id],
    );
    expect(rows).toHaveLength(1);
    expect(rows[0].actor).toBe("customer:license-key");
    expect(rows[0].details).toMatchObject({
      kind: "docker-token",
      tier: "pro",
      repositories: ["coditect-images"],
    });
    const stored =
      JSON.stringify(rows) + JSON.stringify((await h.pool.query("SELECT * FROM registry_credentials")).rows);
    expect(stored).not.toContain(secret);
    expect(stored).not.toContain(pro.key);
  });

  it.each([
    ["no Authorization", undefined, 401, "license_key_required"],
    ["a malformed header", "Token abc", 401, "license_key_required"],
    [
      "Basic without a colon",
      `Basic ${Buffer.from("nocolon").toString("base64")}`,
      401,
      "license_key_required",
    ],
    ["an unknown key", "Bearer CODITECT-PRO-AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", 403, "license_invalid"],
    ["an overlong key", `Bearer ${"K".repeat(51)}`, 401, "license_key_required"],
  ])("refuses %s", async (_name, authorization, status, expected) => {
    const res = await post(authorization);
    expect(res.status).toBe(status);
    expect((await code(res)).code).toBe(expected);
  });

  it("refuses Starter (no registry tier, ADR 0200) and non-entitled licenses with the state's code, recording nothing", async () => {
    const starter = await license("starter");
    const s = await post(`Bearer ${starter.key}`);
    expect(s.status).toBe(403);
    expect((await code(s)).code).toBe("registry_not_included");
    const pro = await license("pro");
    expect((await h.admin("POST", `/licenses/${pro.id}/suspend`, { reason: "abuse" })).status).toBe(200);
    const suspended = await post(`Bearer ${pro.key}`);
    expect(suspended.status).toBe(403);
    expect((await code(suspended)).code).toBe("license_suspended");
    expect(await issued(starter.id)).toBe(0);
    expect(await issued(pro.id)).toBe(0);
  });

  it.each([
    ["an unknown field", { repos: ["x"] }, 400, /repos/],
    ["a repository that is not a name", { repositories: ["UPPER/Case"] }, 400, /UPPER\/Case/],
    ["another tier's repository", { repositories: ["coditect-enterprise/x"] }, 403, /coditect-enterprise\/x/],
    ["a namespace look-alike", { repositories: ["coditect-images-evil/x"] }, 403, /coditect-images-evil\/x/],
  ])("refuses %s, recording nothing", async (_name, body, status, message) => {
    const pro = await license("pro");
    const res = await post(`Bearer ${pro.key}`, body);
    expect(res.status).toBe(status);
    expect((await code(res)).message).toMatch(message);
    expect(await issued(pro.id)).toBe(0);
  });

  it("is rate-limited per key", async () => {
    const pro = await license("pro");
    for (let i = 0; i < REGISTRY_RATE_LIMITS.perKey.limit; i++)
      expect((await post(`Bearer ${pro.key}`)).status).toBe(201);
    const limited = await post(`Bearer ${pro.key}`);
    expect(limited.status).toBe(429);
    expect(limited.headers.get("retry-after")).toMatch(/^\d+$/);
    // Another key is not affected.
    expect((await post(`Bearer ${(await license("pro")).key}`)).status).toBe(201);
    h.clock.advance(REGISTRY_RATE_LIMITS.perKey.windowMs);
  });
});

describe("GET /v1/registry/token (Docker token realm)", () => {
  it("answers 401 with a Basic challenge without credentials", async () => {
    const res = await get("service=sandbox-registry&scope=repository:coditect-images/x:pull");
    expect(res.status).toBe(401);
    expect(res.headers.get("www-authenticate")).toMatch(/^Basic /);
  });

  it.each([
    ["a scope that is not a repository scope", "scope=registry:catalog:*", /registry:catalog/],
    ["a scope without actions", "scope=repository:coditect-images/x", /repository:coditect-images\/x/],
    ["another service", "service=other&scope=repository:coditect-images/x:pull", /other/],
  ])("refuses %s with 400", async (_name, query, message) => {
    const pro = await license("pro");
    const res = await get(query, basic(pro.key));
    expect(res.status).toBe(400);
    expect((await code(res)).message).toMatch(message);
    expect(await issued(pro.id)).toBe(0);
  });

  it("grants several requested scopes of the tier in one token (docker asks for each repository)", async () => {
    const ent = await license("enterprise");
    const res = await get(
      "service=sandbox-registry&scope=repository:coditect-images/a:pull&scope=repository:coditect-enterprise/b:pull",
      basic(ent.key),
    );
    expect(res.status).toBe(200);
    const { token, expires_in } = (await res.json()) as { token: string; expires_in: number };
    const claims = JSON.parse(Buffer.from(token.split(".")[1]!, "base64url").toString());
    expect(claims.access.map((a: { name: string }) => a.name)).toEqual([
      "coditect-images/a",
      "coditect-enterprise/b",
    ]);
    expect(claims.sub).toBe(`license:${ent.id}`);
    expect(expires_in).toBe(120);
  });
});

describe("per client address", () => {
  it("is rate-limited per client IP (Google's load balancer's X-Forwarded-For), keys or not", async () => {
    const from = (ip: string, authorization?: string) =>
      fetch(`${h.url}/v1/registry/token`, {
        method: "POST",
        headers: { "x-forwarded-for": `${ip}, 34.120.0.1`, ...(authorization ? { authorization } : {}) },
      });
    const statuses = await Promise.all(
      Array.from({ length: REGISTRY_RATE_LIMITS.perIp.limit }, () => from("203.0.113.9")),
    ).then((all) => all.map((r) => r.status));
    expect(new Set(statuses)).toEqual(new Set([401]));
    const pro = await license("pro");
    const limited = await from("203.0.113.9", `Bearer ${pro.key}`);
    expect(limited.status).toBe(429);
    expect(await issued(pro.id)).toBe(0);
    expect((await from("203.0.113.10", `Bearer ${pro.key}`)).status).toBe(201);
  });
});

describe("with an unreadable signing key", () => {
  it("answers 503 registry_credentials_unavailable (logged, retried at the next request), never a token", async () => {
    const broken = await startBillingHarness({
      env: {
        REGISTRY_CREDENTIALS: "docker-token",
        REGISTRY_HOST: "registry.sandbox.test:5000",
        REGISTRY_TOKEN_ISSUER: "coditect-billing",
        REGISTRY_TOKEN_SERVICE: "sandbox-registry",
        REGISTRY_TOKEN_KEY_FILE: path.join(dir, "missing-key.pem"),
        REGISTRY_TOKEN_CERTS_FILE: path.join(dir, "certs.pem"),
      },
    });
    try {
      for (let i = 0; i < 2; i++) {
        const res = await fetch(`${broken.url}/v1/registry/token`, {
          method: "POST",
          headers: { authorization: "Bearer CODITECT-PRO-AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA" },
        });
        expect(res.status).toBe(503);
        expect((await code(res)).code).toBe("registry_credentials_unavailable");
      }
    } finally {
      await broken.stop();
    }
  });
});

describe("without REGISTRY_CREDENTIALS", () => {
  it("answers 404 registry_not_configured", async () => {
    const plain = await startBillingHarness();
    try {
      const res = await fetch(`${plain.url}/v1/registry/token`, {
        method: "POST",
        headers: { authorization: "Bearer x" },
      });
      expect(res.status).toBe(404);
      expect((await code(res)).code).toBe("registry_not_configured");
    } finally {
      await plain.stop();
    }
  });
});
