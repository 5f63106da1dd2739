import type { JSONWebKeySet } from "jose";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ManualClock } from "../../lib/clock.js";
import { TIMING } from "../../lib/domain.js";
import { verifyOfflineToken } from "../../lib/offline-tokens/index.js";
import { ensureUser } from "../accounts/directory.js";
import { withTransaction } from "../db/tx.js";
import { terminateLicenseSessions } from "./release.js";
import { type SessionsHarness, startSessionsHarness } from "./test-harness.js";

const clock = new ManualClock("2026-03-01T12:00:00Z");
let h: SessionsHarness;
let containerSeq = 0;
const container = () => ({
  containerId: `c${++containerSeq}`,
  containerType: "docker",
  hostname: "host-1",
  ip: "10.0.0.1",
});

beforeAll(async () => {
  h = await startSessionsHarness(clock);
});
afterAll(async () => h.close());

async function validate(key: string, extra: object = {}) {
  return h.post("/v1/sessions/validate", { licenseKey: key, ...container(), ...extra });
}
async function activeCount(licenseId: string): Promise<number> {
  const r = await h.pool.query(
    "SELECT count(*)::int AS n FROM container_sessions WHERE license_id = $1 AND state = 'active'",
    [licenseId],
  );
  return r.rows[0].n;
}

describe("POST /v1/sessions/validate", () => {
  it("admits a container: session token shown once (stored hashed), offline token verifiable with the JWKS", async () => {
    const lic = await h.createLicense("pro");
    const res = await validate(lic.key, { containerId: "c-offline-validate" });
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({
      licenseTier: "pro",
      organization: "acme",
      heartbeatIntervalSeconds: TIMING.heartbeatIntervalMs / 1000,
    });
    expect(res.body.expiresAt).toBe(new Date(clock.now().getTime() + TIMING.sessionExpiryMs).toISOString());
    expect(res.body.sessionToken).toMatch(/^cst_/);
    const stored = await h.pool.query("SELECT token_hash FROM container_sessions WHERE id = $1", [
      res.body.sessionId,
    ]);
    expect(stored.rows[0].token_hash).toMatch(/^[0-9a-f]{64}$/);
    expect(JSON.stringify(stored.rows)).not.toContain(res.body.sessionToken);

    const jwks = (await (await fetch(`${h.url}/.well-known/jwks.json`)).json()) as JSONWebKeySet;
    const verified = await verifyOfflineToken(res.body.offlineToken, jwks, clock, "c-offline-validate");
    expect(verified).toMatchObject({
      licenseId: lic.id,
      sessionId: res.body.sessionId,
      organization: "acme",
      tier: "pro",
    });
    // A fresh container has earned only the seat-expiry window offline (ADR 0158).
    expect(verified.expiresAt.getTime()).toBe(clock.now().getTime() + TIMING.sessionExpiryMs);
  });

  const badBodies: [string, object, RegExp][] = [
    ["no container id", { licenseKey: "K", containerType: "docker" }, /containerId/],
    ["a bad container type", { licenseKey: "K", containerId: "c", containerType: "vm" }, /containerType/],
    [
      "an unknown field",
      { licenseKey: "K", containerId: "c", containerType: "docker", extra: 1 },
      /extra|Unrecognized/,
    ],
    ["a bad ip", { licenseKey: "K", containerId: "c", containerType: "docker", ip: "1.2.3" }, /ip/],
    ["no credentials", { containerId: "c", containerType: "docker" }, /licenseKey|identityToken/],
    [
      "an identity token without the workstation credential",
      { identityToken: "t", containerId: "c", containerType: "workstation" },
      /workstationCredential/,
    ],
    [
      "a workstation credential with a license key",
      { licenseKey: "K", workstationCredential: "c".repeat(43), containerId: "c", containerType: "docker" },
      /workstationCredential/,
    ],
    [
      "a too short workstation credential",
      { identityToken: "t", workstationCredential: "short", containerId: "c", containerType: "workstation" },
      /workstationCredential/,
    ],
  ];
  it.each(badBodies)(
    "rejects %s with 400 invalid_request and creates nothing",
    async (_label, body, message) => {
      const before = (await h.pool.query("SELECT count(*)::int AS n FROM container_sessions")).rows[0].n;
      const res = await h.post("/v1/sessions/validate", body);
      expect(res.status).toBe(400);
      expect(res.body.error.code).toBe("invalid_request");
      expect(res.body.error.message).toMatch(message);
      expect((await h.pool.query("SELECT count(*)::int AS n FROM container_sessions")).rows[0].n).toBe(
        before,
      );
    },
  );

  it("refuses unknown and revoked licenses with 403 and a reason code", async () => {
    const unknown = await validate("CODITECT-PRO-AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA");
    expect(unknown.status).toBe(403);
    expect(unknown.body.error.code).toBe("license_invalid");
    const lic = await h.createLicense("pro");
    await h.revokeLicense(lic.id);
    const revoked = await validate(lic.key);
    expect(revoked.status).toBe(403);
    expect(revoked.body.error.code).toBe("license_revoked");
    expect(await activeCount(lic.id)).toBe(0);
  });

  it("many parallel validates for one Pro license admit exactly 5; the rest get seat_limit_reached with the limit", async () => {
    const lic = await h.createLicense("pro");
    const results = await Promise.all(Array.from({ length: 25 }, () => validate(lic.key)));
    const admitted = results.filter((r) => r.status === 201);
    const refused = results.filter((r) => r.status === 429);
    expect(admitted).toHaveLength(5);
    expect(refused).toHaveLength(20);
    for (const r of refused) expect(r.body.error).toMatchObject({ code: "seat_limit_reached", limit: 5 });
    expect(await activeCount(lic.id)).toBe(5);
  });

  it("100 licenses under contention: no license is oversold", async () => {
    const licenses = await Promise.all(
      Array.from({ length: 100 }, (_, i) =>
        h.createLicense(i % 3 === 0 ? "starter" : "pro", { organization: `org-${i % 7}` }),
      ),
    );
    const limits = licenses.map((_, i) => (i % 3 === 0 ? 1 : 5));
    const attempts = licenses.flatMap((lic, i) => Array.from({ length: limits[i]! + 3 }, () => lic.key));
    // Interleave licenses so requests for one license race with requests for others.
    const results = await Promise.all(
      attempts.sort(() => 0.5 - Math.random()).map((key) => validate(key).then((r) => ({ key, r }))),
    );
    for (const [i, lic] of licenses.entries()) {
      const admitted = results.filter((x) => x.key === lic.key && x.r.status === 201).length;
      expect({ license: i, admitted }).toEqual({ license: i, admitted: limits[i] });
      expect(await activeCount(lic.id)).toBe(limits[i]);
    }
    expect(results.every((x) => x.r.status === 201 || x.r.body.error.code === "seat_limit_reached")).toBe(
      true,
    );
  });

  it("a restarted container (same container id) replaces its own session instead of taking a second seat", async () => {
    const lic = await h.createLicense("starter");
    const first = await h.post("/v1/sessions/validate", {
      licenseKey: lic.key,
      containerId: "same-box",
      containerType: "docker",
    });
    const second = await h.post("/v1/sessions/validate", {
      licenseKey: lic.key,
      containerId: "same-box",
      containerType: "docker",
    });
    expect([first.status, second.status]).toEqual([201, 201]);
    expect(await activeCount(lic.id)).toBe(1);
    const old = await h.post("/v1/sessions/heartbeat", {}, first.body.sessionToken);
    expect(old.body).toMatchObject({ status: "expired" });
    expect(old.body.message).toMatch(/released \(Superseded\)/);
  });
});

describe("heartbeat, release, expiry", () => {
  it("heartbeat extends the session and returns a fresh offline token; usage is recorded", async () => {
    const lic = await h.createLicense("pro");
    const { body } = await validate(lic.key, { containerId: "c-offline-heartbeat" });
    clock.advance(TIMING.heartbeatIntervalMs);
    const hb = await h.post(
      "/v1/sessions/heartbeat",
      { cpu: 12.5, memory: 1024, uptime: 300 },
      body.sessionToken,
    );
    expect(hb.status).toBe(200);
    // Online 5 minutes: the earned grace is still the 30-minute floor (ADR 0158).
    expect(hb.body).toMatchObject({ status: "ok", gracePeriodRemaining: TIMING.sessionExpiryMs / 1000 });
    const verified = await verifyOfflineToken(
      hb.body.offlineToken,
      { keys: [h.keySet.current.publicJwk] },
      clock,
      "c-offline-heartbeat",
    );
    expect(verified.expiresAt.getTime()).toBe(clock.now().getTime() + TIMING.sessionExpiryMs);
    const row = (
      await h.pool.query("SELECT last_heartbeat_at, last_report FROM container_sessions WHERE id = $1", [
        body.sessionId,
      ])
    ).rows[0];
    expect(row.last_heartbeat_at.toISOString()).toBe(clock.now().toISOString());
    expect(row.last_report).toEqual({ cpuPercent: 12.5, memoryBytes: 1024, uptimeSeconds: 300 });
  });

  it("release frees the seat and is idempotent", async () => {
    const lic = await h.createLicense("starter");
    const a = await validate(lic.key);
    expect((await validate(lic.key)).status).toBe(429);
    const released = await h.post("/v1/sessions/release", {}, a.body.sessionToken);
    expect(released.body).toMatchObject({ sessionId: a.body.sessionId, state: "released" });
    const again = await h.post("/v1/sessions/release", {}, a.body.sessionToken);
    expect(again.status).toBe(200);
    expect(again.body).toMatchObject({ state: "released", reason: "Released" });
    expect((await validate(lic.key)).status).toBe(201);
    const audit = await h.pool.query(
      "SELECT count(*)::int AS n FROM audit_events WHERE license_id = $1 AND action = 'session.released'",
      [lic.id],
    );
    expect(audit.rows[0].n).toBe(1);
  });

  it("30 minutes without a heartbeat frees the seat; the expired session is re-admitted only if a seat is free", async () => {
    const lic = await h.createLicense("starter");
    const a = await validate(lic.key);
    clock.advance(TIMING.sessionExpiryMs - 1000);
    expect((await validate(lic.key)).status).toBe(429);
    clock.advance(2000);
    const b = await validate(lic.key);
    expect(b.status).toBe(201);
    // a comes back: b holds the only seat, so a is told to stop.
    const lateA = await h.post("/v1/sessions/heartbeat", {}, a.body.sessionToken);
    expect(lateA.body).toMatchObject({ status: "expired", gracePeriodRemaining: 0 });
    expect(lateA.body.offlineToken).toBeUndefined();
    // b releases; a still cannot return (expired for good once refused? no: it may, if a seat is free).
    await h.post("/v1/sessions/release", {}, b.body.sessionToken);
    const retryA = await h.post("/v1/sessions/heartbeat", {}, a.body.sessionToken);
    expect(retryA.body.status).toBe("ok");
    expect(await activeCount(lic.id)).toBe(1);
  });

  it("warns when the license expires within 7 days", async () => {
    const lic = await h.createLicense("pro");
    clock.advance(25 * 86_400_000);
    const a = await validate(lic.key); // a session token lasts 24 h (ADR 0161): a fresh one
    const hb = await h.post("/v1/sessions/heartbeat", {}, a.body.sessionToken);
    expect(hb.body.status).toBe("warning");
    expect(hb.body.message).toMatch(/expires in 5 days/);
  });

  it("revocation terminates every session of the license in the revoking transaction", async () => {
    const lic = await h.createLicense("pro");
    const sessions = await Promise.all(Array.from({ length: 5 }, () => validate(lic.key)));
    expect(await activeCount(lic.id)).toBe(5);
    await h.revokeLicense(lic.id);
    // No heartbeat and no operator pass yet: the license change itself ended the sessions.
    expect(await activeCount(lic.id)).toBe(0);
    const rows = await h.pool.query(
      "SELECT id, state, reason FROM container_sessions WHERE license_id = $1 ORDER BY id",
      [lic.id],
    );
    expect(rows.rows).toEqual(
      sessions
        .map((s) => ({ id: s.body.sessionId, state: "terminated", reason: "LicenseRevoked" }))
        .sort((a, b) => (a.id < b.id ? -1 : 1)),
    );
    const audit = await h.pool.query(
      "SELECT action, details FROM audit_events WHERE license_id = $1 AND action = 'session.terminated'",
      [lic.id],
    );
    expect(audit.rows).toHaveLength(1);
    expect(audit.rows[0].details.count).toBe(5);
    // Already ended: a second termination finds nothing left to end.
    expect(
      await withTransaction(h.pool, (tx) =>
        terminateLicenseSessions(tx, lic.id, "LicenseRevoked", clock.now()),
      ),
    ).toEqual([]);
    for (const s of sessions) {
      const hb = await h.post("/v1/sessions/heartbeat", {}, s.body.sessionToken);
      expect(hb.body).toMatchObject({ status: "expired" });
      expect(hb.body.message).toMatch(/terminated \(LicenseRevoked\)/);
    }
  });

  it("a license past its expiry ends its sessions at their next heartbeat, before any sweep re-decides it", async () => {
    const lic = await h.createLicense("pro");
    const a = await validate(lic.key);
    await h.pool.query("UPDATE licenses SET expires_at = $2 WHERE id = $1", [lic.id, clock.now()]);
    clock.advance(1000);
    const hb = await h.post("/v1/sessions/heartbeat", {}, a.body.sessionToken);
    expect(hb.body).toMatchObject({ status: "expired" });
    const row = (
      await h.pool.query("SELECT state, reason FROM container_sessions WHERE id = $1", [a.body.sessionId])
    ).rows[0];
    expect(row).toEqual({ state: "terminated", reason: "LicenseExpired" });
  });

  it("requires a valid bearer token", async () => {
    expect((await h.post("/v1/sessions/heartbeat", {})).status).toBe(401);
    const unknown = await h.post("/v1/sessions/heartbeat", {}, `cst_${"A".repeat(43)}`);
    expect(unknown.status).toBe(401);
    expect(unknown.body.error.code).toBe("invalid_session_token");
  });
});

/** A seat on the license for this person (issue 16: joining a multi-user container needs one). */
async function giveSeat(licenseId: string, email: string) {
  const user = await ensureUser(h.pool, email, clock.now());
  await h.pool.query(
    "INSERT INTO seat_assignments (license_id, user_id, assigned_by, assigned_at) VALUES ($1, $2, 'test', $3)",
    [licenseId, user.id, clock.now()],
  );
}

describe("multi-user containers", () => {
  it("users join up to maxUsers and leave", async () => {
    const lic = await h.createLicense("pro", { seats: 3 });
    for (const email of ["a@acme.example", "b@acme.example", "c@acme.example"]) await giveSeat(lic.id, email);
    const { body } = await validate(lic.key, { maxUsers: 2 });
    const join = (user: string) => h.post("/v1/sessions/users/join", { user }, body.sessionToken);
    expect((await join("a@acme.example")).body.users).toHaveLength(1);
    expect((await join("a@acme.example")).body.users).toHaveLength(1);
    expect((await join("b@acme.example")).body.users).toHaveLength(2);
    const full = await join("c@acme.example");
    expect(full.status).toBe(409);
    expect(full.body.error.code).toBe("max_users_reached");
    await h.post("/v1/sessions/users/leave", { user: "a@acme.example" }, body.sessionToken);
    expect((await join("c@acme.example")).body.users.map((u: { user: string }) => u.user)).toEqual([
      "b@acme.example",
      "c@acme.example",
    ]);
    expect((await join("not-an-email")).status).toBe(400);
    // Each join and leave that changed the container's users is audited once (repeats and refusals are not).
    const audited = await h.pool.query(
      "SELECT actor, action, before, after FROM audit_events WHERE license_id = $1 AND action LIKE 'session.user_%' ORDER BY id",
      [lic.id],
    );
    const { container_id } = (
      await h.pool.query("SELECT container_id FROM container_sessions WHERE id = $1", [body.sessionId])
    ).rows[0];
    const actor = `container:${container_id}`;
    expect(audited.rows).toEqual([
      { actor, action: "session.user_joined", before: null, after: { user: "a@acme.example" } },
      { actor, action: "session.user_joined", before: null, after: { user: "b@acme.example" } },
      { actor, action: "session.user_left", before: { user: "a@acme.example" }, after: null },
      { actor, action: "session.user_joined", before: null, after: { user: "c@acme.example" } },
    ]);
  });

  it("joining needs a seat on the container's license: 403 no_seat, nobody joined", async () => {
    const lic = await h.createLicense("pro", { seats: 3 });
    const other = await h.createLicense("pro", { seats: 3 });
    await giveSeat(other.id, "d@acme.example"); // a seat on another license is no seat on this one
    const { body } = await validate(lic.key, { maxUsers: 2 });
    const refused = await h.post("/v1/sessions/users/join", { user: "d@acme.example" }, body.sessionToken);
    expect(refused.status).toBe(403);
    expect(refused.body.error.code).toBe("no_seat");
    expect(refused.body.error.message).toContain("d@acme.example");
    const joined = await h.pool.query("SELECT * FROM container_session_users WHERE session_id = $1", [
      body.sessionId,
    ]);
    expect(joined.rows).toEqual([]);
    await giveSeat(lic.id, "D@acme.example");
    const ok = await h.post("/v1/sessions/users/join", { user: "d@acme.example" }, body.sessionToken);
    expect(ok.status).toBe(200);
  });
});

describe("rate limits", () => {
  it("heartbeat: the 21st request in a minute gets 429 rate_limited with Retry-After; a new minute resets it", async () => {
    const lic = await h.createLicense("pro");
    const { body } = await validate(lic.key);
    for (let i = 0; i < 20; i++)
      expect((await h.post("/v1/sessions/heartbeat", {}, body.sessionToken)).status).toBe(200);
    const limited = await h.post("/v1/sessions/heartbeat", {}, body.sessionToken);
    expect(limited.status).toBe(429);
    expect(limited.body.error.code).toBe("rate_limited");
    expect(Number(limited.headers.get("retry-after"))).toBeGreaterThan(0);
    clock.advance(60_000);
    expect((await h.post("/v1/sessions/heartbeat", {}, body.sessionToken)).status).toBe(200);
  });

  it("validate: 30 per minute per license key, distinct from seat_limit_reached", async () => {
    const lic = await h.createLicense("starter");
    const results = [];
    for (let i = 0; i < 31; i++) results.push(await validate(lic.key));
    expect(results.slice(1, 30).every((r) => r.body.error?.code === "seat_limit_reached")).toBe(true);
    expect(results[30]!.status).toBe(429);
    expect(results[30]!.body.error.code).toBe("rate_limited");
    clock.advance(60_000);
  });
});
