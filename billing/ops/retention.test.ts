/**
 * Issue 13 L4: ended session rows are purged after their retention (ADR 0070, ADR 0162), on a real
 * PostgreSQL, with sessions made through the sessions API over HTTP. Released and terminated rows go 24 h
 * after their end; expired ones not before their offline token could have expired; sessions that ended by
 * silence once their offline grace is over, with an audit record; live sessions never. Passes are bounded.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ManualClock } from "../../lib/clock.js";
import { type SessionsHarness, startSessionsHarness, stayOnline } from "../sessions/test-harness.js";
import { DEFAULT_RETENTION_POLICY, purgeExpiredRows, startRetentionSweep } from "./retention.js";

const HOUR = 3_600_000;
const T0 = Date.parse("2026-06-01T00:00:00Z");

describe("retention sweep", () => {
  const clock = new ManualClock(new Date(T0));
  let h: SessionsHarness;
  beforeAll(async () => {
    h = await startSessionsHarness(clock, {}, "retention");
  });
  afterAll(() => h.close());

  const validate = async (key: string, containerId: string) => {
    const res = await h.post("/v1/sessions/validate", {
      licenseKey: key,
      containerId,
      containerType: "docker",
    });
    expect(res.status).toBe(201);
    return res.body as { sessionId: string; sessionToken: string };
  };
  const remaining = async (licenseIds: string[]) =>
    (
      await h.pool.query<{ container_id: string; state: string }>(
        "SELECT container_id, state FROM container_sessions WHERE license_id = ANY($1) ORDER BY container_id, created_at",
        [licenseIds],
      )
    ).rows.map((r) => `${r.container_id}:${r.state}`);

  it("deletes each kind of ended session after its retention, audits silent ones, keeps live ones", async () => {
    clock.set(new Date(T0));
    const a = await h.createLicense("pro", { maxContainers: 5 });
    const b = await h.createLicense("pro", { organization: "beta" });
    const released = await validate(a.key, "released");
    const expired = await validate(a.key, "expired");
    const silent = await validate(a.key, "silent");
    await validate(a.key, "renewed");
    const late = await validate(a.key, "late-release");
    await validate(b.key, "revoked");
    expect((await h.post("/v1/sessions/release", {}, released.sessionToken)).status).toBe(200);
    // As readmission records it when no seat was free (admission.ts): expired 30 minutes after the heartbeat.
    await h.pool.query(
      "UPDATE container_sessions SET state = 'expired', reason = 'HeartbeatMissed', ended_at = $2 WHERE id = $1",
      [expired.sessionId, new Date(T0 + HOUR / 2)],
    );
    await h.revokeLicense(b.id); // terminated at T0

    clock.set(new Date(T0 + 23 * HOUR));
    expect((await h.post("/v1/sessions/release", {}, late.sessionToken)).status).toBe(200);

    clock.set(new Date(T0 + 30 * HOUR));
    let report = await purgeExpiredRows(h.pool, clock.now());
    expect(report.sessions).toEqual({ released: 1, terminated: 1 });
    expect(await remaining([a.id, b.id])).toEqual([
      "expired:expired", // an offline token may still bring it back (until T0 + 7 d, the longest grace)
      "late-release:released", // ended 7 h ago
      "renewed:active",
      "silent:active",
    ]);

    clock.set(new Date(T0 + 50 * HOUR));
    await validate(a.key, "renewed"); // a new token for a running container: the old session is superseded

    // 73 h: past a pro token's 72 h, but rows are kept for the longest grace of any tier (ADR 0158).
    clock.set(new Date(T0 + 73 * HOUR));
    report = await purgeExpiredRows(h.pool, clock.now());
    expect(report.sessions).toEqual({ released: 1 }); // late-release, 24 h after its end
    expect(await remaining([a.id, b.id])).toEqual([
      "expired:expired",
      "renewed:released",
      "renewed:active",
      "silent:active",
    ]);

    clock.set(new Date(T0 + 7 * 24 * HOUR + HOUR));
    report = await purgeExpiredRows(h.pool, clock.now());
    expect(report.sessions).toEqual({ expired: 1, released: 1, active: 1 });
    expect(await remaining([a.id, b.id])).toEqual(["renewed:active"]);

    const audit = await h.pool.query(
      "SELECT actor, license_id, after, details FROM audit_events WHERE actor = 'system:retention'",
    );
    expect(audit.rows).toEqual([
      {
        actor: "system:retention",
        license_id: a.id,
        after: { state: "expired", reason: "HeartbeatMissed" },
        details: { sessionIds: [silent.sessionId], count: 1, purged: true },
      },
    ]);
    // Gone means gone: the silent container's token is refused like any unknown one.
    const heartbeat = await h.post("/v1/sessions/heartbeat", {}, silent.sessionToken);
    expect(heartbeat.status).toBe(401);
  });

  it("keeps an enterprise session whose container is offline for 4 days: back online, it is told to validate again", async () => {
    clock.set(new Date(T0 + 500 * HOUR));
    const lic = await h.createLicense("enterprise", { organization: "far-site" });
    const v = await validate(lic.key, "disconnected-site");
    // Online 5 days (renewing its session token daily), so its token covers 5 days offline (ADR 0158).
    const online = await stayOnline(h, clock, lic.key, "disconnected-site", v.sessionToken, 5 * 24 * HOUR);
    expect(online.gracePeriodRemaining).toBe(5 * 24 * 3600);

    clock.advance(4 * 24 * HOUR); // network cut for 4 days; the sweep runs meanwhile
    await purgeExpiredRows(h.pool, clock.now());
    const rows = await h.pool.query(
      "SELECT state FROM container_sessions WHERE license_id = $1 AND state = 'active'",
      [lic.id],
    );
    expect(rows.rowCount).toBe(1); // with a 72 h retention it was purged here
    // Its session token is past its 24 h lifetime: 401 session_token_expired (validate again), not
    // invalid_session_token (which the agent treats as the end of its session and exits).
    const back = await h.post("/v1/sessions/heartbeat", {}, online.sessionToken);
    expect(back.status).toBe(401);
    expect(back.body.error.code).toBe("session_token_expired");
    expect(
      (
        await h.post("/v1/sessions/validate", {
          licenseKey: lic.key,
          containerId: "disconnected-site",
          containerType: "docker",
        })
      ).status,
    ).toBe(201);
  });

  it("bounds a pass (batch size × batches), reports on /metrics and deletes the rest on later passes", async () => {
    clock.set(new Date(T0 + 1_000 * HOUR));
    await purgeExpiredRows(h.pool, clock.now()); // what the test above left is long due
    const lic = await h.createLicense("pro", { maxContainers: 5, organization: "bulk" });
    for (let n = 0; n < 5; n++) {
      const s = await validate(lic.key, `bulk-${n}`);
      await h.post("/v1/sessions/release", {}, s.sessionToken);
    }
    clock.advance(25 * HOUR);
    const sweep = startRetentionSweep(h.deps, 3_600_000, {
      ...DEFAULT_RETENTION_POLICY,
      batchSize: 2,
      maxBatches: 1,
    });
    try {
      expect((await sweep.runOnce())?.sessions).toEqual({ released: 2 });
      expect((await sweep.runOnce())?.sessions).toEqual({ released: 2 });
      expect((await sweep.runOnce())?.sessions).toEqual({ released: 1 });
      expect((await sweep.runOnce())?.sessions).toEqual({});
    } finally {
      await sweep.stop();
    }
    const metrics = await h.deps.metrics.metrics();
    expect(metrics).toMatch(/^billing_sessions_purged_total\{state="released"\} 5$/m);
    expect(metrics).toMatch(/^billing_retention_sweep_failures_total 0$/m);
  });
});
