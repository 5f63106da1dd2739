/**
 * Issue 13 L4, over HTTP on real PostgreSQL: a session token has an absolute lifetime (24 h by default,
 * ADR 0161). Heartbeats, release and user joins with an older token are refused with 401
 * `session_token_expired`, whatever the session's state; validating again from the same container replaces
 * the session (no second seat) and its new token works.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ManualClock } from "../../lib/clock.js";
import { DEFAULT_SESSION_TOKEN_LIFETIME_MS } from "./decide.js";
import { type SessionsHarness, startSessionsHarness } from "./test-harness.js";

const HOUR = 3_600_000;

describe("session token lifetime", () => {
  const clock = new ManualClock("2026-06-01T00:00:00Z");
  let h: SessionsHarness;
  beforeAll(async () => {
    h = await startSessionsHarness(clock, {}, "sessions_lifetime");
  });
  afterAll(() => h.close());

  const validate = (key: string, containerId: string) =>
    h.post("/v1/sessions/validate", { licenseKey: key, containerId, containerType: "docker" });

  it("is 24 h by default", () => {
    expect(DEFAULT_SESSION_TOKEN_LIFETIME_MS).toBe(24 * HOUR);
  });

  it("refuses a token older than its lifetime with 401 session_token_expired; validating again renews it", async () => {
    const lic = await h.createLicense("starter"); // one seat: a second session would be refused
    const first = await validate(lic.key, "long-runner");
    expect(first.status).toBe(201);
    const oldToken = first.body.sessionToken as string;

    // Heartbeating (every 25 minutes here, within the 30-minute seat expiry) for almost a day: fine.
    const start = clock.now().getTime();
    while (clock.now().getTime() + 25 * 60_000 < start + 24 * HOUR) {
      clock.advance(25 * 60_000);
      expect((await h.post("/v1/sessions/heartbeat", {}, oldToken)).status).toBe(200);
    }
    clock.set(new Date(start + 24 * HOUR - 1));
    expect((await h.post("/v1/sessions/heartbeat", {}, oldToken)).status).toBe(200);

    clock.advance(1); // exactly 24 h after validate
    for (const path of ["/v1/sessions/heartbeat", "/v1/sessions/release"]) {
      const refused = await h.post(path, {}, oldToken);
      expect(refused.status, path).toBe(401);
      expect(refused.body.error.code, path).toBe("session_token_expired");
    }
    const join = await h.post("/v1/sessions/users/join", { user: "dev@acme.example" }, oldToken);
    expect(join.status).toBe(401);
    expect(join.body.error.code).toBe("session_token_expired");

    // The same container validates again: its old session is superseded, the one seat is reused.
    const renewed = await validate(lic.key, "long-runner");
    expect(renewed.status).toBe(201);
    expect((await h.post("/v1/sessions/heartbeat", {}, renewed.body.sessionToken)).status).toBe(200);
    const rows = await h.pool.query(
      "SELECT id, state, reason FROM container_sessions WHERE license_id = $1 ORDER BY created_at",
      [lic.id],
    );
    expect(rows.rows).toEqual([
      { id: first.body.sessionId, state: "released", reason: "Superseded" },
      { id: renewed.body.sessionId, state: "active", reason: null },
    ]);
  });

  it("follows the configured lifetime (SESSION_TOKEN_LIFETIME_HOURS → timing)", async () => {
    const short = await startSessionsHarness(
      clock,
      { timing: { sessionTokenLifetimeMs: 2 * HOUR } },
      "lifetime2",
    );
    try {
      const lic = await short.createLicense("pro");
      const res = await short.post("/v1/sessions/validate", {
        licenseKey: lic.key,
        containerId: "c",
        containerType: "docker",
      });
      clock.advance(2 * HOUR);
      const refused = await short.post("/v1/sessions/heartbeat", {}, res.body.sessionToken);
      expect(refused.body.error.code).toBe("session_token_expired");
    } finally {
      await short.close();
    }
  });
});
