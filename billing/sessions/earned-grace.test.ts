/**
 * Issue 13 §7, ADR 0158: the offline grace is earned. A token lasts min(tier grace, max(30 min, the time
 * the container has been online without a break)) after its heartbeat. The online run continues across a
 * session-token renewal and a restart of a live session by the same principal, and starts again for a new
 * container, after an expiry, and on re-admission. The serial validate-and-disconnect pattern then runs
 * about two containers per seat. Pure rules table-tested; the rest over HTTP on real PostgreSQL.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ManualClock } from "../../lib/clock.js";
import { TIMING } from "../../lib/domain.js";
import { publicJwks, verifyOfflineToken } from "../../lib/offline-tokens/index.js";
import { DEFAULT_SESSION_TIMING, earnedOfflineGraceMs, onlineSinceAtValidate } from "./decide.js";
import { type SessionsHarness, startSessionsHarness, stayOnline } from "./test-harness.js";

const MIN = 60_000;
const HOUR = 60 * MIN;
const T = new Date("2026-04-01T00:00:00Z");
const at = (ms: number) => new Date(T.getTime() + ms);

describe("earnedOfflineGraceMs", () => {
  const cases: [string, number, number, number][] = [
    ["just validated: the 30-minute floor", 72 * HOUR, 0, 30 * MIN],
    ["online 10 minutes: still the floor", 72 * HOUR, 10 * MIN, 30 * MIN],
    ["online 2 h: 2 h", 72 * HOUR, 2 * HOUR, 2 * HOUR],
    ["online 100 h on a 72 h tier: the tier's grace", 72 * HOUR, 100 * HOUR, 72 * HOUR],
    ["online 5 days on enterprise: 5 days", 168 * HOUR, 120 * HOUR, 120 * HOUR],
  ];
  it.each(cases)("%s", (_label, tierGrace, online, expected) => {
    expect(earnedOfflineGraceMs(tierGrace, T, at(online), DEFAULT_SESSION_TIMING)).toBe(expected);
  });
});

describe("onlineSinceAtValidate", () => {
  const now = at(10 * HOUR);
  const replaced = (over: object) => ({
    principal: "key:abc",
    created_at: at(HOUR),
    online_since: T,
    last_heartbeat_at: new Date(now.getTime() - 5 * MIN),
    ...over,
  });
  const cases: [string, ReturnType<typeof replaced> | undefined, Date][] = [
    ["no session of this container: starts now", undefined, now],
    ["its own live session (renewal, restart): continues the run", replaced({}), T],
    [
      "a live row written by an older replica (NULL): from its validate",
      replaced({ online_since: null }),
      at(HOUR),
    ],
    [
      "its own session, silent for the seat expiry (offline): starts now",
      replaced({ last_heartbeat_at: new Date(now.getTime() - TIMING.sessionExpiryMs) }),
      now,
    ],
    ["another principal's session: starts now", replaced({ principal: "workstation:acme/ws-1" }), now],
    ["a session without a recorded principal: starts now", replaced({ principal: null }), now],
  ];
  it.each(cases)("%s", (_label, session, expected) => {
    expect(onlineSinceAtValidate(session, "key:abc", now, DEFAULT_SESSION_TIMING)).toEqual(expected);
  });
});

describe("earned offline grace over HTTP", () => {
  const clock = new ManualClock(T);
  let h: SessionsHarness;
  beforeAll(async () => {
    h = await startSessionsHarness(clock, {}, "sessions_earned_grace");
  });
  afterAll(() => h.close());

  const validate = async (key: string, containerId: string) => {
    const res = await h.post("/v1/sessions/validate", {
      licenseKey: key,
      containerId,
      containerType: "docker",
    });
    expect(res.status).toBe(201);
    return res.body as {
      sessionId: string;
      sessionToken: string;
      offlineToken: string;
      offlineTokenExpiresAt: string;
    };
  };
  const inMs = (iso: string) => Date.parse(iso) - clock.now().getTime();

  it("a fresh container gets 30 minutes offline; after 2 h online, 2 h", async () => {
    const lic = await h.createLicense("pro");
    const v = await validate(lic.key, "fresh");
    expect(inMs(v.offlineTokenExpiresAt)).toBe(30 * MIN);
    const verified = await verifyOfflineToken(v.offlineToken, publicJwks(h.keySet), clock, "fresh");
    expect(verified.expiresAt.getTime() - clock.now().getTime()).toBe(30 * MIN);

    const hb = await stayOnline(h, clock, lic.key, "fresh", v.sessionToken, 2 * HOUR);
    expect(hb.gracePeriodRemaining).toBe(2 * 3600);
    expect(inMs(hb.offlineTokenExpiresAt)).toBe(2 * HOUR);
  });

  it("a session-token renewal (401 session_token_expired → validate) keeps the online run", async () => {
    const lic = await h.createLicense("pro");
    const started = clock.now();
    const v = await validate(lic.key, "renewing");
    const hb = await stayOnline(h, clock, lic.key, "renewing", v.sessionToken, 30 * HOUR);
    expect(hb.sessionToken).not.toBe(v.sessionToken); // renewed after 24 h
    expect(inMs(hb.offlineTokenExpiresAt)).toBe(30 * HOUR);
    const rows = await h.pool.query<{ state: string; online_since: Date }>(
      "SELECT state, online_since FROM container_sessions WHERE license_id = $1 ORDER BY created_at",
      [lic.id],
    );
    expect(rows.rows.map((r) => [r.state, r.online_since.toISOString()])).toEqual([
      ["released", started.toISOString()],
      ["active", started.toISOString()],
    ]);

    // An agent restart while the session is live: the run continues too.
    clock.advance(5 * MIN);
    const restarted = await validate(lic.key, "renewing");
    expect(inMs(restarted.offlineTokenExpiresAt)).toBe(30 * HOUR + 5 * MIN);
  });

  it("after an offline stretch past the seat expiry, a re-admission or a new validate starts the run again", async () => {
    const lic = await h.createLicense("pro");
    const v = await validate(lic.key, "returning");
    const online = await stayOnline(h, clock, lic.key, "returning", v.sessionToken, 3 * HOUR);
    expect(inMs(online.offlineTokenExpiresAt)).toBe(3 * HOUR);

    clock.advance(TIMING.sessionExpiryMs + MIN); // offline: the seat lapsed
    const readmitted = await h.post("/v1/sessions/heartbeat", {}, online.sessionToken);
    expect(readmitted.body).toMatchObject({ status: "ok", gracePeriodRemaining: 30 * 60 });

    const second = await stayOnline(h, clock, lic.key, "returning", online.sessionToken, HOUR);
    expect(inMs(second.offlineTokenExpiresAt)).toBe(HOUR);
    clock.advance(TIMING.sessionExpiryMs + MIN);
    const restarted = await validate(lic.key, "returning"); // e.g. the container restarted while offline
    expect(inMs(restarted.offlineTokenExpiresAt)).toBe(30 * MIN);

    const other = await validate(lic.key, "another-container");
    expect(inMs(other.offlineTokenExpiresAt)).toBe(30 * MIN);
  });

  /**
   * The serial pattern on a one-seat license: each container validates, stays online for a while
   * (0 to 4 h), cuts its network and runs on its token; once the seat lapses the next one starts. Returns
   * each container's licensed interval [validate, token expiry].
   */
  async function serialPattern(onlineHours: number[]): Promise<[number, number][]> {
    const lic = await h.createLicense("starter");
    const intervals: [number, number][] = [];
    for (const [n, hours] of onlineHours.entries()) {
      const containerId = `serial-${lic.id.slice(0, 8)}-${n}`;
      const start = clock.now().getTime();
      const v = await validate(lic.key, containerId);
      let expiresAt = v.offlineTokenExpiresAt;
      if (hours > 0)
        expiresAt = (await stayOnline(h, clock, lic.key, containerId, v.sessionToken, hours * HOUR))
          .offlineTokenExpiresAt;
      intervals.push([start, Date.parse(expiresAt)]);
      clock.advance(TIMING.sessionExpiryMs + 1_000); // network cut: the seat lapses, the next one validates
    }
    return intervals;
  }
  const maxConcurrent = (intervals: [number, number][]) =>
    Math.max(...intervals.map(([t]) => intervals.filter(([s, e]) => s <= t && t < e).length));

  it("the serial validate-and-disconnect pattern licenses at most about 2 containers per seat", async () => {
    // Cut right after each validate: before ADR 0158 all 12 ran at once on the one seat (72 h each).
    const immediate = await serialPattern(Array(12).fill(0));
    expect(maxConcurrent(immediate)).toBeLessThanOrEqual(2);

    // Online for a while first: offline time is what was earned (or the floor), so the licensed
    // container-time is at most twice the wall-clock time the pattern takes (one seat).
    const hours = [1, 4, 2, 0, 3, 1, 4, 2];
    const mixed = await serialPattern(hours);
    const offline = mixed.map(([start, end], n) => end - (start + hours[n]! * HOUR));
    expect(offline).toEqual(hours.map((n) => Math.max(30 * MIN, n * HOUR)));
    const licensed = mixed.reduce((sum, [start, end]) => sum + (end - start), 0);
    const wall = Math.max(...mixed.map(([, end]) => end)) - mixed[0]![0];
    expect(licensed).toBeLessThanOrEqual(2 * wall);
  });
});
