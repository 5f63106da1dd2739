/**
 * Invitations and members through the real app and PostgreSQL: who may do what (a test per role on every
 * route), the invitation lifecycle (mailed link in the same transaction, resend replaces the token, revoke,
 * 7-day expiry, accept signing the invitee in), role changes and removal with its hooks, audit records.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type BillingHarness, startBillingHarness } from "../../testing/harness.js";
import type { Role } from "../directory.js";
import { call, cookieFrom, mailedLink } from "../testing/client.js";
import { type Team, testOrganization } from "../testing/organization.js";
import { signInForTest } from "../testing/sign-in.js";
import { INVITATION_LIFETIME_MS } from "./invitations.js";
import { removeMember } from "./members.js";
import { grantProblem, manageProblem } from "./rules.js";

let h: BillingHarness;
beforeAll(async () => {
  h = await startBillingHarness();
});
afterAll(() => h.stop());

const ROLES: (Role | "outsider")[] = ["owner", "admin", "member", "viewer", "outsider"];
const audit = async (action: string) =>
  (
    await h.pool.query<{ actor: string; before: unknown; after: unknown; details: unknown }>(
      "SELECT actor, before, after, details FROM audit_events WHERE action = $1 ORDER BY id",
      [action],
    )
  ).rows;

describe("role rules (pure)", () => {
  it("only admins and the owner grant; only the owner grants or manages admins; the owner is fixed", () => {
    expect(grantProblem("owner", "admin")).toBeUndefined();
    expect(grantProblem("admin", "member")).toBeUndefined();
    expect(grantProblem("admin", "admin")?.message).toBe("only the owner may make someone an admin");
    expect(grantProblem("member", "viewer")?.code).toBe("forbidden");
    expect(manageProblem("owner", "admin", "remove")).toBeUndefined();
    expect(manageProblem("admin", "member", "change")).toBeUndefined();
    expect(manageProblem("admin", "admin", "change")?.code).toBe("forbidden");
    expect(manageProblem("owner", "owner", "change")?.code).toBe("owner_fixed");
    expect(manageProblem("viewer", "member", "remove")?.code).toBe("forbidden");
  });
});

describe("invitations: who may", () => {
  let team: Team;
  beforeAll(async () => {
    team = (await testOrganization(h.pool, "inv-roles", h.clock.now())).people;
  });

  it("POST …/invitations: owner and admin invite members; member, viewer 403; outsider 404", async () => {
    const expected: Record<string, number> = {
      owner: 201,
      admin: 201,
      member: 403,
      viewer: 403,
      outsider: 404,
    };
    for (const who of ROLES) {
      const res = await call(h, "POST", "/organizations/inv-roles/invitations", {
        as: team[who],
        body: { email: `new-by-${who}@inv-roles.test`, role: "member" },
      });
      expect(res.status, who).toBe(expected[who]);
      if (who === "outsider") expect(res.body.error.code).toBe("organization_not_found");
    }
  });

  it("only the owner invites an admin; nobody invites an owner", async () => {
    const byAdmin = await call(h, "POST", "/organizations/inv-roles/invitations", {
      as: team.admin,
      body: { email: "boss@inv-roles.test", role: "admin" },
    });
    expect([byAdmin.status, byAdmin.body.error.code]).toEqual([403, "forbidden"]);
    const byOwner = await call(h, "POST", "/organizations/inv-roles/invitations", {
      as: team.owner,
      body: { email: "boss@inv-roles.test", role: "admin" },
    });
    expect(byOwner.status).toBe(201);
    const owner = await call(h, "POST", "/organizations/inv-roles/invitations", {
      as: team.owner,
      body: { email: "second-owner@inv-roles.test", role: "owner" },
    });
    expect([owner.status, owner.body.error.code]).toEqual([400, "invalid_request"]);
    expect(owner.body.error.message).toMatch(/role: must be admin, member or viewer/);
  });

  it("GET, resend and revoke: owner and admin; member and viewer 403; outsider 404", async () => {
    const created = await call(h, "POST", "/organizations/inv-roles/invitations", {
      as: team.owner,
      body: { email: "listed@inv-roles.test", role: "viewer" },
    });
    const id = created.body.invitation.id as string;
    for (const who of ROLES) {
      const expected = who === "owner" || who === "admin" ? 200 : who === "outsider" ? 404 : 403;
      const list = await call(h, "GET", "/organizations/inv-roles/invitations", { as: team[who] });
      expect(list.status, `list ${who}`).toBe(expected);
      const resend = await call(h, "POST", `/organizations/inv-roles/invitations/${id}/resend`, {
        as: team[who],
      });
      expect(resend.status, `resend ${who}`).toBe(expected);
    }
    for (const who of ["outsider", "viewer", "member"] as const) {
      const res = await call(h, "DELETE", `/organizations/inv-roles/invitations/${id}`, { as: team[who] });
      expect(res.status, `revoke ${who}`).toBe(who === "outsider" ? 404 : 403);
    }
    const revoked = await call(h, "DELETE", `/organizations/inv-roles/invitations/${id}`, { as: team.admin });
    expect([revoked.status, revoked.body.invitation.state]).toEqual([200, "revoked"]);
    const again = await call(h, "DELETE", `/organizations/inv-roles/invitations/${id}`, { as: team.owner });
    expect([again.status, again.body.error.code]).toEqual([409, "invitation_not_pending"]);
  });

  it("refuses bad input naming the value, and changes nothing", async () => {
    const before = (await h.pool.query("SELECT count(*)::int AS n FROM invitations")).rows[0].n;
    const cases: [string, string, unknown, RegExp][] = [
      ["POST", "/organizations/inv-roles/invitations", { role: "member" }, /email/],
      [
        "POST",
        "/organizations/inv-roles/invitations",
        { email: "x", role: "member" },
        /email: must be an email/,
      ],
      ["POST", "/organizations/inv-roles/invitations", { email: "a@b.test", role: "boss" }, /role/],
      ["POST", "/organizations/inv-roles/invitations", { email: "a@b.test", role: "member", x: 1 }, /x/],
      [
        "POST",
        "/organizations/inv-roles/invitations/not-a-uuid/resend",
        undefined,
        /id: must be an invitation id/,
      ],
      [
        "DELETE",
        "/organizations/inv-roles/invitations/not-a-uuid",
        undefined,
        /id: must be an invitation id/,
      ],
      ["POST", "/invitations/accept", {}, /token/],
    ];
    for (const [method, path, body, message] of cases) {
      const res = await call(h, method, path, { as: team.owner, body });
      expect([res.status, res.body.error.code], `${method} ${path}`).toEqual([400, "invalid_request"]);
      expect(res.body.error.message).toMatch(message);
    }
    const missing = await call(
      h,
      "POST",
      "/organizations/inv-roles/invitations/00000000-0000-4000-8000-000000000000/resend",
      { as: team.owner },
    );
    expect([missing.status, missing.body.error.code]).toEqual([404, "invitation_not_found"]);
    expect((await h.pool.query("SELECT count(*)::int AS n FROM invitations")).rows[0].n).toBe(before);
  });

  it("needs the CSRF token on every change", async () => {
    const res = await call(h, "POST", "/organizations/inv-roles/invitations", {
      headers: { cookie: team.owner.cookie },
      body: { email: "csrf@inv-roles.test", role: "member" },
    });
    expect([res.status, res.body.error.code]).toEqual([403, "csrf_failed"]);
  });
});

describe("invitation lifecycle", () => {
  let team: Team;
  beforeAll(async () => {
    team = (await testOrganization(h.pool, "inv-life", h.clock.now())).people;
  });
  const invite = (email: string, role = "member") =>
    call(h, "POST", "/organizations/inv-life/invitations", { as: team.owner, body: { email, role } });

  it("mails the accept link; accepting signs the invitee in as the invited email and makes them a member", async () => {
    const created = await invite("Carol@Inv-Life.test", "viewer");
    expect(created.status).toBe(201);
    expect(created.body.invitation).toMatchObject({
      email: "carol@inv-life.test",
      role: "viewer",
      state: "pending",
      invitedBy: "owner@inv-life.test",
    });
    const mail = await h.pool.query(
      "SELECT data, dedupe_key FROM notification_outbox WHERE kind = 'invitation' AND recipient = $1",
      ["carol@inv-life.test"],
    );
    expect(mail.rows[0].data).toMatchObject({
      organization: "inv-life",
      inviter: "owner@inv-life.test",
      role: "viewer",
    });
    const { url, token } = await mailedLink(h, "invitation", "carol@inv-life.test");
    expect(url).toBe(`http://billing.test/account/invitations/accept?token=${token}`);
    // Only the hash is stored.
    expect((await h.pool.query("SELECT 1 FROM invitations WHERE token_hash = $1", [token])).rowCount).toBe(0);

    const accepted = await call(h, "POST", "/invitations/accept", { body: { token } });
    expect(accepted.status).toBe(200);
    expect(accepted.body.organization).toEqual({ slug: "inv-life", role: "viewer" });
    const cookie = cookieFrom(accepted.headers.get("set-cookie"));
    const me = await call(h, "GET", "/me", { headers: { cookie } });
    expect(me.body.user.email).toBe("carol@inv-life.test");
    expect(me.body.organizations).toEqual([{ slug: "inv-life", role: "viewer" }]);
    expect(me.body.csrfToken).toBe(accepted.body.csrfToken);
    const session = await h.pool.query(
      "SELECT s.method, u.email_verified_at FROM account_sessions s JOIN users u ON u.id = s.user_id WHERE u.email = $1",
      ["carol@inv-life.test"],
    );
    expect(session.rows[0].method).toBe("invitation");
    expect(session.rows[0].email_verified_at).not.toBeNull();

    const twice = await call(h, "POST", "/invitations/accept", { body: { token } });
    expect([twice.status, twice.body.error.code]).toEqual([409, "invitation_not_pending"]);
    const created2 = await audit("membership.created");
    expect(created2.at(-1)).toMatchObject({ actor: "account:carol@inv-life.test" });
    expect((await audit("invitation.created")).at(-1)?.actor).toBe("account:owner@inv-life.test");
  });

  it("a second invitation to a pending address is 409; resend replaces the token and mails it again", async () => {
    const first = await invite("dan@inv-life.test");
    const old = await mailedLink(h, "invitation", "dan@inv-life.test");
    const second = await invite("dan@inv-life.test");
    expect([second.status, second.body.error.code]).toEqual([409, "invitation_pending"]);
    h.clock.advance(60_000);
    const resent = await call(
      h,
      "POST",
      `/organizations/inv-life/invitations/${first.body.invitation.id}/resend`,
      {
        as: team.admin,
      },
    );
    expect(resent.status).toBe(200);
    const fresh = await mailedLink(h, "invitation", "dan@inv-life.test");
    expect(fresh.count).toBe(2);
    expect(fresh.token).not.toBe(old.token);
    const stale = await call(h, "POST", "/invitations/accept", { body: { token: old.token } });
    expect([stale.status, stale.body.error.code]).toEqual([404, "invitation_not_found"]);
    expect((await call(h, "POST", "/invitations/accept", { body: { token: fresh.token } })).status).toBe(200);
    const again = await invite("dan@inv-life.test");
    expect([again.status, again.body.error.code]).toEqual([409, "already_member"]);
  });

  it("expires after 7 days (410) and can then be invited again; a revoked link is refused", async () => {
    await invite("erin@inv-life.test");
    const { token } = await mailedLink(h, "invitation", "erin@inv-life.test");
    h.clock.advance(INVITATION_LIFETIME_MS);
    const late = await call(h, "POST", "/invitations/accept", { body: { token } });
    expect([late.status, late.body.error.code]).toEqual([410, "invitation_expired"]);
    // A week later the owner's session has ended too (idle 24 h): they sign in again.
    team.owner = await signInForTest(h.pool, "owner@inv-life.test", h.clock.now(), {
      organization: "inv-life",
      role: "owner",
    });
    const list = await call(h, "GET", "/organizations/inv-life/invitations", { as: team.owner });
    expect(list.body.invitations.find((i: { email: string }) => i.email === "erin@inv-life.test").state).toBe(
      "expired",
    );
    const renewed = await invite("erin@inv-life.test");
    expect(renewed.status).toBe(201);
    const revoked = await call(
      h,
      "DELETE",
      `/organizations/inv-life/invitations/${renewed.body.invitation.id}`,
      {
        as: team.owner,
      },
    );
    expect(revoked.status).toBe(200);
    const fresh = await mailedLink(h, "invitation", "erin@inv-life.test");
    const refused = await call(h, "POST", "/invitations/accept", { body: { token: fresh.token } });
    expect([refused.status, refused.body.error.code]).toEqual([409, "invitation_not_pending"]);
  });

  it("signed in as another email: 409 invitation_for_another_email; as the invitee: accepted, no new session", async () => {
    await invite("frank@inv-life.test");
    const { token } = await mailedLink(h, "invitation", "frank@inv-life.test");
    const other = await signInForTest(h.pool, "someone-else@inv-life.test", h.clock.now());
    const wrong = await call(h, "POST", "/invitations/accept", { as: other, body: { token } });
    expect([wrong.status, wrong.body.error.code]).toEqual([409, "invitation_for_another_email"]);
    const noCsrf = await call(h, "POST", "/invitations/accept", {
      headers: { cookie: other.cookie },
      body: { token },
    });
    expect([noCsrf.status, noCsrf.body.error.code]).toEqual([403, "csrf_failed"]);
    const foreign = await call(h, "POST", "/invitations/accept", {
      headers: { origin: "https://evil.test" },
      body: { token },
    });
    expect([foreign.status, foreign.body.error.code]).toEqual([403, "csrf_failed"]);
    const frank = await signInForTest(h.pool, "frank@inv-life.test", h.clock.now());
    const ok = await call(h, "POST", "/invitations/accept", { as: frank, body: { token } });
    expect(ok.status).toBe(200);
    expect(ok.headers.get("set-cookie")).toBeNull();
    expect(ok.body.csrfToken).toBeUndefined();
  });
});

describe("members", () => {
  let team: Team;
  beforeAll(async () => {
    team = (await testOrganization(h.pool, "mem", h.clock.now())).people;
  });
  const extra = async (email: string, role: Role) =>
    signInForTest(h.pool, `${email}@mem.test`, h.clock.now(), { organization: "mem", role });

  it("GET …/members: every member role reads; the outsider gets 404", async () => {
    for (const who of ROLES) {
      const res = await call(h, "GET", "/organizations/mem/members", { as: team[who] });
      expect(res.status, who).toBe(who === "outsider" ? 404 : 200);
    }
    const res = await call(h, "GET", "/organizations/mem/members", { as: team.viewer });
    expect(
      res.body.members.map((m: { email: string; role: string; seats: number }) => [m.email, m.role, m.seats]),
    ).toEqual([
      ["owner@mem.test", "owner", 0],
      ["admin@mem.test", "admin", 0],
      ["member@mem.test", "member", 0],
      ["viewer@mem.test", "viewer", 0],
    ]);
  });

  it("PATCH …/members/:userId: admin changes members and viewers; only the owner touches admins; owner fixed", async () => {
    const target = await extra("patch-target", "viewer");
    const path = `/organizations/mem/members/${target.userId}`;
    for (const who of ["outsider", "viewer", "member"] as const) {
      const res = await call(h, "PATCH", path, { as: team[who], body: { role: "member" } });
      expect(res.status, who).toBe(who === "outsider" ? 404 : 403);
    }
    const byAdmin = await call(h, "PATCH", path, { as: team.admin, body: { role: "member" } });
    expect([byAdmin.status, byAdmin.body.member.role]).toEqual([200, "member"]);
    const promote = await call(h, "PATCH", path, { as: team.admin, body: { role: "admin" } });
    expect([promote.status, promote.body.error.code]).toEqual([403, "forbidden"]);
    const byOwner = await call(h, "PATCH", path, { as: team.owner, body: { role: "admin" } });
    expect([byOwner.status, byOwner.body.member.role]).toEqual([200, "admin"]);
    const adminOnAdmin = await call(h, "PATCH", path, { as: team.admin, body: { role: "viewer" } });
    expect([adminOnAdmin.status, adminOnAdmin.body.error.code]).toEqual([403, "forbidden"]);
    const onOwner = await call(h, "PATCH", `/organizations/mem/members/${team.owner.userId}`, {
      as: team.owner,
      body: { role: "admin" },
    });
    expect([onOwner.status, onOwner.body.error.code]).toEqual([409, "owner_fixed"]);
    const changes = await audit("membership.role_changed");
    expect(changes.slice(-2)).toMatchObject([
      { actor: "account:admin@mem.test", before: { role: "viewer" }, after: { role: "member" } },
      { actor: "account:owner@mem.test", before: { role: "member" }, after: { role: "admin" } },
    ]);
  });

  it("DELETE …/members/:userId: admin removes members; only the owner removes admins; owner fixed", async () => {
    const m = await extra("remove-me", "member");
    const a = await extra("remove-admin", "admin");
    for (const who of ["outsider", "viewer", "member"] as const) {
      const res = await call(h, "DELETE", `/organizations/mem/members/${m.userId}`, { as: team[who] });
      expect(res.status, who).toBe(who === "outsider" ? 404 : 403);
    }
    expect(
      (await call(h, "DELETE", `/organizations/mem/members/${m.userId}`, { as: team.admin })).status,
    ).toBe(204);
    expect((await call(h, "GET", "/organizations/mem", { as: m })).status).toBe(404);
    const adminOnAdmin = await call(h, "DELETE", `/organizations/mem/members/${a.userId}`, {
      as: team.admin,
    });
    expect([adminOnAdmin.status, adminOnAdmin.body.error.code]).toEqual([403, "forbidden"]);
    expect(
      (await call(h, "DELETE", `/organizations/mem/members/${a.userId}`, { as: team.owner })).status,
    ).toBe(204);
    const owner = await call(h, "DELETE", `/organizations/mem/members/${team.owner.userId}`, {
      as: team.admin,
    });
    expect([owner.status, owner.body.error.code]).toEqual([409, "owner_fixed"]);
    const gone = await call(h, "DELETE", `/organizations/mem/members/${m.userId}`, { as: team.owner });
    expect([gone.status, gone.body.error.code]).toEqual([404, "member_not_found"]);
    expect((await audit("membership.removed")).at(-2)).toMatchObject({
      actor: "account:admin@mem.test",
      before: { email: "remove-me@mem.test", role: "member" },
    });
  });

  it("refuses bad input: a user id that is not a UUID, an unknown role", async () => {
    const bad = await call(h, "PATCH", "/organizations/mem/members/nope", {
      as: team.owner,
      body: { role: "member" },
    });
    expect([bad.status, bad.body.error.code]).toEqual([400, "invalid_request"]);
    expect(bad.body.error.message).toMatch(/userId: must be a user id/);
    const role = await call(h, "PATCH", `/organizations/mem/members/${team.member.userId}`, {
      as: team.owner,
      body: { role: "owner" },
    });
    expect([role.status, role.body.error.code]).toEqual([400, "invalid_request"]);
    const del = await call(h, "DELETE", "/organizations/mem/members/nope", { as: team.owner });
    expect([del.status, del.body.error.code]).toEqual([400, "invalid_request"]);
  });

  it("removeMember runs the onMemberRemoved hooks in its transaction; a failing hook undoes the removal", async () => {
    const m = await extra("hooked", "member");
    const ctx = {
      organization: "mem",
      actor: { email: "owner@mem.test" } as never,
      actorRole: "owner" as const,
      now: h.clock.now(),
    };
    const seen: unknown[] = [];
    const client = await h.pool.connect();
    try {
      await client.query("BEGIN");
      await expect(
        removeMember(client, ctx, m.userId, [
          async (tx, organization, userId, actor) => {
            seen.push([organization, userId, actor]);
            // Inside the transaction: the membership is already gone.
            expect((await tx.query("SELECT 1 FROM memberships WHERE user_id = $1", [userId])).rowCount).toBe(
              0,
            );
            throw new Error("seat release failed");
          },
        ]),
      ).rejects.toThrow("seat release failed");
      await client.query("ROLLBACK");
    } finally {
      client.release();
    }
    expect(seen).toEqual([["mem", m.userId, "account:owner@mem.test"]]);
    expect((await h.pool.query("SELECT role FROM memberships WHERE user_id = $1", [m.userId])).rows).toEqual([
      { role: "member" },
    ]);
  });
});
