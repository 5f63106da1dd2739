/**
 * The organization overview and the owner's key rotation through the real app and PostgreSQL: licenses
 * created through the admin API, a container admitted through the sessions API with the key, per-role access,
 * and the rotation ending the old key's sessions, mailing key_rotated and auditing the owner as actor.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { LicenseRow } from "../../licenses/row.js";
import { type BillingHarness, startBillingHarness } from "../../testing/harness.js";
import { call } from "../testing/client.js";
import { type Team, testOrganization } from "../testing/organization.js";
import { licenseOverview } from "./overview.js";

let h: BillingHarness;
let team: Team;
let pro: { id: string; key: string };
let suspended: { id: string };
const DAY = 86_400_000;

const grant = async (body: Record<string, unknown>) => {
  const res = await h.admin("POST", "/licenses", {
    customerEmail: "owner@ov.test",
    provisioningType: "pilot",
    ...body,
  });
  if (res.status !== 201) throw new Error(`admin create: ${res.status} ${await res.text()}`);
  const json = (await res.json()) as { license: { id: string }; licenseKey: string };
  return { id: json.license.id, key: json.licenseKey };
};

const validate = (licenseKey: string, containerId: string) =>
  fetch(`${h.url}/v1/sessions/validate`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ licenseKey, containerId, containerType: "docker" }),
  });

beforeAll(async () => {
  h = await startBillingHarness();
  team = (await testOrganization(h.pool, "ov", h.clock.now())).people;
  pro = await grant({ organization: "ov", tier: "pro", durationDays: 5, seats: 3 });
  suspended = await grant({ organization: "ov", tier: "starter", durationDays: 30 });
  const s = await h.admin("POST", `/licenses/${suspended.id}/suspend`, { reason: "test" });
  expect(s.status).toBe(200);
  await h.pool.query(
    "INSERT INTO seat_assignments (license_id, user_id, assigned_by, assigned_at) VALUES ($1, $2, 'test', $3)",
    [pro.id, team.member.userId, h.clock.now()],
  );
  expect((await validate(pro.key, "container-a")).status).toBe(201);
});
afterAll(() => h.stop());

describe("GET /v1/account/organizations/:organization", () => {
  it("every member role reads it; an outsider gets 404; signed out 401", async () => {
    for (const who of ["owner", "admin", "member", "viewer", "outsider"] as const) {
      const res = await call(h, "GET", "/organizations/ov", { as: team[who] });
      expect(res.status, who).toBe(who === "outsider" ? 404 : 200);
    }
    expect((await call(h, "GET", "/organizations/ov")).status).toBe(401);
    expect((await call(h, "GET", "/organizations/Not_A_Slug", { as: team.owner })).status).toBe(404);
  });

  it("shows each license's state in words, seats used/total, containers in use/limit and warnings", async () => {
    const res = await call(h, "GET", "/organizations/ov", { as: team.viewer });
    expect(res.body.organization).toEqual({ slug: "ov", role: "viewer" });
    const byId = (id: string) => res.body.licenses.find((l: { id: string }) => l.id === id);
    expect(res.body.licenses).toHaveLength(2);
    const [p, s] = [byId(pro.id), byId(suspended.id)];
    expect(p).toMatchObject({
      id: pro.id,
      tier: "pro",
      state: "active",
      stateReason: "AdminGranted",
      stateExplanation: "granted by Coditect",
      seats: { used: 1, total: 3 },
      containers: { inUse: 1, limit: 5 },
    });
    expect(p.warnings).toEqual([{ code: "expiring", message: expect.any(String), expiresAt: p.expiresAt }]);
    expect(s).toMatchObject({
      id: suspended.id,
      state: "suspended",
      stateExplanation: "suspended by Coditect",
    });
    expect(s.warnings).toEqual([
      { code: "suspended", message: "the license is suspended: suspended by Coditect" },
    ]);
    // The member list counts the seats each person holds in this organization.
    const members = await call(h, "GET", "/organizations/ov/members", { as: team.viewer });
    const seats = Object.fromEntries(
      members.body.members.map((m: { email: string; seats: number }) => [m.email, m.seats]),
    );
    expect(seats).toEqual({
      "owner@ov.test": 0,
      "admin@ov.test": 0,
      "member@ov.test": 1,
      "viewer@ov.test": 0,
    });
    // No secrets or other customers' fields in the overview.
    expect(JSON.stringify(res.body)).not.toMatch(/key_hash|keyHash|CODITECT-/);
  });

  it("warns of a past-due license with the end of its grace (pure)", () => {
    const now = new Date("2026-06-01T00:00:00Z");
    const row = {
      id: "l",
      tier: "pro",
      state: "pastDue",
      state_reason: "PaymentFailed",
      seats: 2,
      max_containers: null,
      expires_at: new Date(now.getTime() + 30 * DAY),
      grace_ends_at: new Date(now.getTime() + 3 * DAY),
      workstation_tier: null,
      key_issued_at: null,
    } as unknown as LicenseRow;
    const overview = licenseOverview(row, { seatsUsed: 0, containersInUse: 2 }, now);
    expect(overview.containers).toEqual({ inUse: 2, limit: null });
    expect(overview.warnings).toEqual([
      {
        code: "past_due",
        message: expect.stringContaining("2026-06-04"),
        graceEndsAt: "2026-06-04T00:00:00.000Z",
      },
    ]);
    expect(
      licenseOverview(
        { ...row, state: "active", expires_at: new Date(now.getTime() + 8 * DAY) },
        { seatsUsed: 0, containersInUse: 0 },
        now,
      ).warnings,
    ).toEqual([]);
  });
});

describe("POST …/licenses/:licenseId/rotate-key", () => {
  const path = () => `/organizations/ov/licenses/${pro.id}/rotate-key`;

  it("is the owner's only: admin, member, viewer 403; outsider 404; another org's license 404; bad id 400", async () => {
    for (const who of ["admin", "member", "viewer", "outsider"] as const) {
      const res = await call(h, "POST", path(), { as: team[who] });
      expect(res.status, who).toBe(who === "outsider" ? 404 : 403);
    }
    // Another organization's license (granted to that organization's owner: admin grants refuse strangers).
    const elsewhere = await grant({
      organization: "ov-other",
      customerEmail: team.outsider.email,
      tier: "starter",
      durationDays: 30,
    });
    const cross = await call(h, "POST", `/organizations/ov/licenses/${elsewhere.id}/rotate-key`, {
      as: team.owner,
    });
    expect([cross.status, cross.body.error.code]).toEqual([404, "license_not_found"]);
    const bad = await call(h, "POST", "/organizations/ov/licenses/nope/rotate-key", { as: team.owner });
    expect([bad.status, bad.body.error.code]).toEqual([400, "invalid_request"]);
    expect(bad.body.error.message).toMatch(/licenseId: must be a license id/);
    const noCsrf = await call(h, "POST", path(), { headers: { cookie: team.owner.cookie } });
    expect(noCsrf.status).toBe(403);
    // Nothing rotated by any refused call: the old key still validates.
    expect((await validate(pro.key, "container-b")).status).toBe(201);
  });

  it("shows the new key once, ends the old key's sessions, mails key_rotated and audits the owner", async () => {
    const res = await call(h, "POST", path(), { as: team.owner });
    expect(res.status).toBe(200);
    expect(res.headers.get("cache-control")).toBe("no-store");
    expect(res.body.licenseKey).toMatch(/^CODITECT-PRO-[A-Z2-7]{32}$/);
    expect(res.body.endedSessions).toBe(2);
    const old = await validate(pro.key, "container-c");
    expect(old.status).toBe(403);
    expect(((await old.json()) as { error: { code: string } }).error.code).toBe("license_invalid");
    expect((await validate(res.body.licenseKey, "container-c")).status).toBe(201);
    const sessions = await h.pool.query(
      "SELECT container_id, state, reason FROM container_sessions WHERE license_id = $1 ORDER BY container_id",
      [pro.id],
    );
    expect(sessions.rows).toEqual([
      { container_id: "container-a", state: "terminated", reason: "KeyRotated" },
      { container_id: "container-b", state: "terminated", reason: "KeyRotated" },
      { container_id: "container-c", state: "active", reason: null },
    ]);
    const mail = await h.pool.query(
      "SELECT recipient, data FROM notification_outbox WHERE kind = 'key_rotated' AND license_id = $1",
      [pro.id],
    );
    expect(mail.rows).toHaveLength(1);
    expect(JSON.stringify(mail.rows[0].data)).not.toContain(res.body.licenseKey);
    const audit = await h.pool.query(
      "SELECT actor, details FROM audit_events WHERE license_id = $1 AND action = 'license.key_rotated'",
      [pro.id],
    );
    expect(audit.rows).toEqual([
      {
        actor: "account:owner@ov.test",
        details: expect.objectContaining({ via: "account", endedSessions: 2 }),
      },
    ]);
  });
});
