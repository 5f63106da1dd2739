/**
 * Offline tokens as the sessions API issues them (issue 13 §7): bound to the container that validated,
 * valid for the tier's offline grace after the last heartbeat, never past the license's own end.
 * Over HTTP against real PostgreSQL; the pure expiry rule is table-tested below.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ManualClock } from "../../lib/clock.js";
import { LICENSE_TIERS, type LicenseTier } from "../../lib/domain.js";
import { publicJwks, verifyOfflineToken } from "../../lib/offline-tokens/index.js";
import { DEFAULT_SESSION_TIMING, type LicenseFacts, offlineTokenExpiry } from "./decide.js";
import { type SessionsHarness, startSessionsHarness, stayOnline } from "./test-harness.js";

const HOUR = 3_600_000;
const clock = new ManualClock("2026-03-01T12:00:00Z");
let h: SessionsHarness;

beforeAll(async () => {
  h = await startSessionsHarness(clock, {}, "sessions_offline");
});
afterAll(async () => h.close());

async function validate(key: string, containerId: string) {
  const res = await h.post("/v1/sessions/validate", {
    licenseKey: key,
    containerId,
    containerType: "docker",
  });
  expect(res.status).toBe(201);
  return res.body as { offlineToken: string; offlineTokenExpiresAt: string; sessionToken: string };
}

describe("offline tokens issued by validate and heartbeat", () => {
  it("carry the container id: the container that validated accepts it, any other refuses it", async () => {
    const lic = await h.createLicense("pro");
    const body = await validate(lic.key, "ctr-bound-a");
    const jwks = publicJwks(h.keySet);
    await expect(verifyOfflineToken(body.offlineToken, jwks, clock, "ctr-bound-a")).resolves.toMatchObject({
      containerId: "ctr-bound-a",
    });
    await expect(verifyOfflineToken(body.offlineToken, jwks, clock, "ctr-bound-b")).rejects.toMatchObject({
      reason: "wrong_container",
    });
    clock.advance(60_000);
    const hb = await h.post("/v1/sessions/heartbeat", {}, body.sessionToken);
    expect(hb.status).toBe(200);
    await expect(verifyOfflineToken(hb.body.offlineToken, jwks, clock, "ctr-bound-a")).resolves.toBeTruthy();
    await expect(verifyOfflineToken(hb.body.offlineToken, jwks, clock, "ctr-bound-b")).rejects.toMatchObject({
      reason: "wrong_container",
    });
  });

  it.each([
    ["starter", 72],
    ["pro", 72],
    ["enterprise", 7 * 24],
  ] as [LicenseTier, number][])(
    "a %s container online for longer than its grace gets a token for %i h after the heartbeat",
    async (tier, hours) => {
      const lic = await h.createLicense(tier);
      const containerId = `ctr-grace-${tier}`;
      const body = await validate(lic.key, containerId);
      // Earned grace (ADR 0158): right after the validate the token covers the 30-minute floor only.
      expect(body.offlineTokenExpiresAt).toBe(new Date(clock.now().getTime() + 30 * 60_000).toISOString());
      const hb = await stayOnline(h, clock, lic.key, containerId, body.sessionToken, hours * HOUR + HOUR);
      const expected = new Date(clock.now().getTime() + hours * HOUR);
      expect(hb.offlineTokenExpiresAt).toBe(expected.toISOString());
      expect(hb.gracePeriodRemaining).toBe(hours * 3600);
      const verified = await verifyOfflineToken(hb.offlineToken, publicJwks(h.keySet), clock, containerId);
      expect(verified.expiresAt).toEqual(expected);
    },
  );

  it("ends with the license: a license expiring within the earned grace caps the token, a past-due one ends with its payment grace", async () => {
    const expiring = await h.createLicense("pro");
    const first = await validate(expiring.key, "ctr-license-end");
    const hb = await stayOnline(h, clock, expiring.key, "ctr-license-end", first.sessionToken, 3 * HOUR);
    expect(hb.gracePeriodRemaining).toBe(3 * 3600); // earned 3 h
    const end = new Date(clock.now().getTime() + 2 * HOUR);
    await h.pool.query("UPDATE licenses SET expires_at = $2 WHERE id = $1", [expiring.id, end]);
    const capped = await h.post("/v1/sessions/heartbeat", {}, hb.sessionToken);
    expect(capped.body.offlineTokenExpiresAt).toBe(end.toISOString());

    const pastDue = await h.createLicense("enterprise");
    const graceEnd = new Date(clock.now().getTime() + 10 * 60_000);
    await h.pool.query("UPDATE licenses SET state = 'pastDue', grace_ends_at = $2 WHERE id = $1", [
      pastDue.id,
      graceEnd,
    ]);
    const second = await validate(pastDue.key, "ctr-past-due");
    expect(second.offlineTokenExpiresAt).toBe(graceEnd.toISOString());
  });
});

describe("offlineTokenExpiry", () => {
  const heartbeat = new Date("2026-03-01T12:00:00Z");
  const at = (hours: number) => new Date(heartbeat.getTime() + hours * HOUR);
  const license = (over: Partial<LicenseFacts> & { tier: LicenseTier }) => ({
    state: "active" as const,
    state_reason: "",
    expires_at: null,
    grace_ends_at: null,
    max_containers: null,
    ...over,
  });
  const cases: [string, ReturnType<typeof license>, Date][] = [
    ["starter, no end", license({ tier: "starter" }), at(72)],
    ["enterprise, no end", license({ tier: "enterprise" }), at(168)],
    ["pro ending after the grace", license({ tier: "pro", expires_at: at(100) }), at(72)],
    ["pro ending within the grace", license({ tier: "pro", expires_at: at(10) }), at(10)],
    [
      "past due, payment grace ends first",
      license({ tier: "enterprise", state: "pastDue", grace_ends_at: at(30), expires_at: at(50) }),
      at(30),
    ],
    ["active with a stale grace_ends_at (ignored)", license({ tier: "pro", grace_ends_at: at(1) }), at(72)],
  ];
  // Online for longer than any tier's grace: the tier and the license's end decide (earned-grace cases are
  // in earned-grace.test.ts).
  const longOnline = new Date(heartbeat.getTime() - 200 * HOUR);
  it.each(cases)("%s", (_label, facts, expected) => {
    expect(offlineTokenExpiry(facts, heartbeat, longOnline, DEFAULT_SESSION_TIMING)).toEqual(expected);
  });

  it("reads its defaults from LICENSE_TIERS", () => {
    expect(DEFAULT_SESSION_TIMING.offlineGraceByTierMs).toEqual({
      starter: LICENSE_TIERS.starter.offlineGraceMs,
      pro: LICENSE_TIERS.pro.offlineGraceMs,
      enterprise: LICENSE_TIERS.enterprise.offlineGraceMs,
    });
  });
});
