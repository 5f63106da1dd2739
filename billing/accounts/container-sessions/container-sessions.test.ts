/**
 * GET …/container-sessions through the real billing app and real PostgreSQL: sessions made through the
 * sessions API, with their joined users, live count and state filter; per-role access and bad input.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type BillingHarness, startBillingHarness } from "../../testing/harness.js";
import { ensureUser } from "../directory.js";
import { callAs, grantLicense } from "../seats/testing.js";
import { PEOPLE, type TestOrganization, testOrganization } from "../testing/organization.js";

let h: BillingHarness;
let org: TestOrganization;
const path = (query = "") => `/organizations/csco/container-sessions${query}`;

beforeAll(async () => {
  h = await startBillingHarness();
  org = await testOrganization(h.pool, "csco", h.clock.now());
});
afterAll(async () => {
  await h?.stop();
});

const sessions = (body: { sessions: { containerId: string }[] }) => body.sessions.map((s) => s.containerId);

async function validate(key: string, containerId: string, maxUsers = 1) {
  const res = await fetch(`${h.url}/v1/sessions/validate`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({
      licenseKey: key,
      containerId,
      containerType: "docker",
      hostname: `${containerId}.host`,
      maxUsers,
    }),
  });
  expect(res.status).toBe(201);
  return (await res.json()) as { sessionToken: string; sessionId: string };
}

describe("GET container-sessions", () => {
  it("lists the organization's sessions with host, users, heartbeat, state, reason and the live count", async () => {
    const lic = await grantLicense(h.pool, h.clock.now(), { organization: "csco", seats: 3 });
    const other = await grantLicense(h.pool, h.clock.now(), { organization: "elsewhere", seats: 3 });
    const shared = await validate(lic.key, "shared", 3);
    const user = await ensureUser(h.pool, "dev@csco.test", h.clock.now());
    await h.pool.query(
      "INSERT INTO seat_assignments (license_id, user_id, assigned_by, assigned_at) VALUES ($1, $2, 'test', $3)",
      [lic.id, user.id, h.clock.now()],
    );
    const joined = await fetch(`${h.url}/v1/sessions/users/join`, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${shared.sessionToken}` },
      body: JSON.stringify({ user: "dev@csco.test" }),
    });
    expect(joined.status).toBe(200);
    const gone = await validate(lic.key, "gone");
    const released = await fetch(`${h.url}/v1/sessions/release`, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${gone.sessionToken}` },
      body: "{}",
    });
    expect(released.status).toBe(200);
    await validate(other.key, "not-ours");

    const active = await callAs(h.url, org.people.viewer, "GET", path());
    expect(active.status).toBe(200);
    expect(active.body.live).toBe(1);
    expect(active.body.sessions).toEqual([
      expect.objectContaining({
        id: shared.sessionId,
        licenseId: lic.id,
        containerId: "shared",
        containerType: "docker",
        host: "shared.host",
        users: [{ user: "dev@csco.test", joinedAt: h.clock.now().toISOString() }],
        maxUsers: 3,
        state: "active",
        reason: null,
        live: true,
        lastHeartbeatAt: h.clock.now().toISOString(),
        endedAt: null,
      }),
    ]);
    const ended = await callAs(h.url, org.people.viewer, "GET", path("?state=ended"));
    expect(sessions(ended.body)).toEqual(["gone"]);
    expect(ended.body.sessions[0]).toMatchObject({ state: "released", reason: "Released", live: false });
    expect(sessions((await callAs(h.url, org.people.viewer, "GET", path("?state=all"))).body).sort()).toEqual(
      ["gone", "shared"],
    );

    // 31 minutes without a heartbeat: still active in the table, no longer live.
    h.clock.advance(31 * 60_000);
    const stale = await callAs(h.url, org.people.viewer, "GET", path());
    expect(stale.body.live).toBe(0);
    expect(stale.body.sessions[0].live).toBe(false);
  });

  it("viewer+ may read; outsiders 404; no session 401; a bad state is 400 naming it", async () => {
    const expected: Record<string, number> = {
      owner: 200,
      admin: 200,
      member: 200,
      viewer: 200,
      outsider: 404,
    };
    org = await testOrganization(h.pool, "csco", h.clock.now());
    for (const who of PEOPLE)
      expect((await callAs(h.url, org.people[who], "GET", path())).status, who).toBe(expected[who]);
    expect((await callAs(h.url, undefined, "GET", path())).status).toBe(401);
    for (const bad of ["?state=paused", "?state=active&extra=1"]) {
      const res = await callAs(h.url, org.people.admin, "GET", path(bad));
      expect(res.status, bad).toBe(400);
      expect(res.body.error.code).toBe("invalid_request");
      expect(res.body.error.message).toMatch(/state|extra/);
    }
  });
});
