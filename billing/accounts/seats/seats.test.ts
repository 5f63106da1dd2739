/**
 * Seats through the real billing app and real PostgreSQL: who may list, assign and unassign; the seat limit
 * under concurrent assigns; and what unassigning ends at once (workstation sessions, multi-user joins,
 * workstation access), with audit records and outbox messages in the same transaction.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { withTransaction } from "../../db/tx.js";
import { type BillingHarness, startBillingHarness } from "../../testing/harness.js";
import { ensureUser } from "../directory.js";
import { PEOPLE, type TestOrganization, testOrganization } from "../testing/organization.js";
import { signInForTest } from "../testing/sign-in.js";
import { unassignUserEverywhere } from "./seats.js";
import { callAs, grantLicense } from "./testing.js";

let h: BillingHarness;
let org: TestOrganization;

beforeAll(async () => {
  h = await startBillingHarness();
  org = await testOrganization(h.pool, "seatco", h.clock.now());
});
afterAll(async () => {
  await h?.stop();
});

const call = (
  who: keyof TestOrganization["people"] | undefined,
  method: string,
  path: string,
  body?: unknown,
) => callAs(h.url, who ? org.people[who] : undefined, method, path, body);
const seatsPath = (licenseId: string) => `/organizations/${org.slug}/licenses/${licenseId}/seats`;

async function member(email: string, role: "member" | "viewer" = "member") {
  return signInForTest(h.pool, email, h.clock.now(), { organization: org.slug, role });
}
async function outbox(kind: string, to: string) {
  return (
    await h.pool.query(
      "SELECT data, dedupe_key FROM notification_outbox WHERE kind = $1 AND recipient = $2",
      [kind, to],
    )
  ).rows;
}
async function audit(action: string, licenseId: string) {
  return (
    await h.pool.query(
      "SELECT actor, before, after, details FROM audit_events WHERE action = $1 AND license_id = $2",
      [action, licenseId],
    )
  ).rows;
}

describe("who may do what", () => {
  it("viewer+ list seats; admin+ assign and unassign; members and viewers are refused 403; outsiders 404", async () => {
    const lic = await grantLicense(h.pool, h.clock.now(), { organization: org.slug, seats: 10 });
    const target = await member("target@seatco.test");
    const expectedList: Record<string, number> = {
      owner: 200,
      admin: 200,
      member: 200,
      viewer: 200,
      outsider: 404,
    };
    const expectedChange: Record<string, number> = {
      owner: 201,
      admin: 201,
      member: 403,
      viewer: 403,
      outsider: 404,
    };
    for (const who of PEOPLE) {
      expect((await call(who, "GET", seatsPath(lic.id))).status, who).toBe(expectedList[who]);
      const assigned = await call(who, "POST", seatsPath(lic.id), { userId: target.userId });
      expect(assigned.status, who).toBe(expectedChange[who]);
      if (assigned.status === 201) {
        expect(assigned.body).toMatchObject({ userId: target.userId, email: "target@seatco.test" });
        expect((await call(who, "DELETE", `${seatsPath(lic.id)}/${target.userId}`)).status, who).toBe(204);
      } else {
        const refused = await call(who, "DELETE", `${seatsPath(lic.id)}/${target.userId}`);
        expect(refused.status, who).toBe(expectedChange[who]);
        expect(refused.body.error.code).toBe(who === "outsider" ? "organization_not_found" : "forbidden");
      }
    }
    expect((await call(undefined, "GET", seatsPath(lic.id))).status).toBe(401);
    // Two successful assigns (owner, admin), each audited with the signed-in actor.
    expect((await audit("seat.assigned", lic.id)).map((a) => a.actor)).toEqual([
      "account:owner@seatco.test",
      "account:admin@seatco.test",
    ]);
  });

  it("a state change without the CSRF header is refused and changes nothing", async () => {
    const lic = await grantLicense(h.pool, h.clock.now(), { organization: org.slug, seats: 2 });
    const res = await fetch(`${h.url}/v1/account${seatsPath(lic.id)}`, {
      method: "POST",
      headers: { cookie: org.people.admin.cookie, "content-type": "application/json" },
      body: JSON.stringify({ userId: org.people.member.userId }),
    });
    expect(res.status).toBe(403);
    expect((await call("admin", "GET", seatsPath(lic.id))).body.used).toBe(0);
  });
});

describe("bad input is a 4xx naming the bad value and changes nothing", () => {
  it("refuses malformed ids, bodies, unknown licenses, another organization's license and non-members", async () => {
    const lic = await grantLicense(h.pool, h.clock.now(), { organization: org.slug, seats: 2 });
    const foreign = await grantLicense(h.pool, h.clock.now(), { organization: "otherco", seats: 2 });
    const stranger = await ensureUser(h.pool, "stranger@elsewhere.test", h.clock.now());
    const cases: [string, string, unknown, number, string, string?][] = [
      [
        "POST",
        `/organizations/${org.slug}/licenses/not-a-uuid/seats`,
        { userId: org.people.member.userId },
        400,
        "invalid_request",
        "not-a-uuid",
      ],
      ["POST", seatsPath(lic.id), {}, 400, "invalid_request", "userId"],
      ["POST", seatsPath(lic.id), { userId: "bob" }, 400, "invalid_request", "userId"],
      [
        "POST",
        seatsPath(lic.id),
        { userId: org.people.member.userId, extra: 1 },
        400,
        "invalid_request",
        "extra",
      ],
      [
        "POST",
        seatsPath("00000000-0000-4000-8000-000000000000"),
        { userId: org.people.member.userId },
        404,
        "license_not_found",
      ],
      ["POST", seatsPath(foreign.id), { userId: org.people.member.userId }, 404, "license_not_found"],
      ["POST", seatsPath(lic.id), { userId: stranger.id }, 404, "member_not_found", stranger.id],
      ["POST", seatsPath(lic.id), { userId: org.people.outsider.userId }, 404, "member_not_found"],
      ["GET", seatsPath("nope"), undefined, 400, "invalid_request", "nope"],
      ["GET", seatsPath(foreign.id), undefined, 404, "license_not_found"],
      ["DELETE", `${seatsPath(lic.id)}/xyz`, undefined, 400, "invalid_request", "xyz"],
      ["DELETE", `${seatsPath(lic.id)}/${org.people.member.userId}`, undefined, 404, "seat_not_found"],
    ];
    for (const [method, path, body, status, code, named] of cases) {
      const res = await call("admin", method, path, body);
      expect(res.status, `${method} ${path} ${JSON.stringify(body)}`).toBe(status);
      expect(res.body.error.code).toBe(code);
      if (named) expect(res.body.error.message).toContain(named);
    }
    expect((await call("admin", "GET", seatsPath(lic.id))).body.used).toBe(0);
    expect(await audit("seat.assigned", lic.id)).toEqual([]);
  });
});

describe("the seat limit", () => {
  it("assigns up to `seats`, then 409 seats_exhausted; assigning the same person again is 200 and sends nothing", async () => {
    const lic = await grantLicense(h.pool, h.clock.now(), { organization: org.slug, seats: 2 });
    const [a, b, c] = [
      await member("a@seatco.test"),
      await member("b@seatco.test"),
      await member("c@seatco.test"),
    ];
    expect((await call("admin", "POST", seatsPath(lic.id), { userId: a.userId })).status).toBe(201);
    expect((await call("admin", "POST", seatsPath(lic.id), { userId: a.userId })).status).toBe(200);
    expect((await call("admin", "POST", seatsPath(lic.id), { userId: b.userId })).status).toBe(201);
    const full = await call("admin", "POST", seatsPath(lic.id), { userId: c.userId });
    expect(full.status).toBe(409);
    expect(full.body.error.code).toBe("seats_exhausted");
    const list = await call("viewer", "GET", seatsPath(lic.id));
    expect(list.body).toMatchObject({ licenseId: lic.id, seats: 2, used: 2 });
    expect(list.body.assignments.map((s: { email: string }) => s.email).sort()).toEqual([
      "a@seatco.test",
      "b@seatco.test",
    ]);
    const mails = await outbox("seat_assigned", "a@seatco.test");
    expect(mails).toHaveLength(1);
    expect(mails[0].data).toEqual({ organization: org.slug, licenseId: lic.id });
  });

  it("concurrent assigns never oversell: with 3 seats, 12 simultaneous assigns give exactly 3 seats", async () => {
    const lic = await grantLicense(h.pool, h.clock.now(), { organization: org.slug, seats: 3 });
    const people = [];
    for (let i = 0; i < 12; i++) people.push(await member(`race${i}@seatco.test`));
    const answers = await Promise.all(
      people.map((p) => call("admin", "POST", seatsPath(lic.id), { userId: p.userId })),
    );
    expect(answers.filter((a) => a.status === 201)).toHaveLength(3);
    expect(answers.filter((a) => a.status === 409 && a.body.error.code === "seats_exhausted")).toHaveLength(
      9,
    );
    const rows = await h.pool.query("SELECT count(*)::int AS n FROM seat_assignments WHERE license_id = $1", [
      lic.id,
    ]);
    expect(rows.rows[0].n).toBe(3);
  });
});

describe("unassigning a seat", () => {
  it("ends the person's sessions on that license at once and removes their workstation, audited and mailed", async () => {
    const lic = await grantLicense(h.pool, h.clock.now(), {
      organization: org.slug,
      seats: 5,
      workstations: 2,
    });
    const bob = await member("bob@seatco.test");
    const carol = await member("carol@seatco.test");
    for (const p of [bob, carol])
      expect((await call("admin", "POST", seatsPath(lic.id), { userId: p.userId })).status).toBe(201);
    const [bobsWs, carolsWs] = lic.workstations as [string, string];
    for (const [ws, p] of [
      [bobsWs, bob],
      [carolsWs, carol],
    ] as const) {
      expect(
        (
          await call("admin", "POST", `/organizations/${org.slug}/workstations/${ws}/assign`, {
            userId: p.userId,
          })
        ).status,
      ).toBe(200);
    }
    // A multi-user container (key-validated) both joined, through the sessions API.
    const validated = await fetch(`${h.url}/v1/sessions/validate`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({
        licenseKey: lic.key,
        containerId: "shared-1",
        containerType: "docker",
        maxUsers: 5,
      }),
    });
    expect(validated.status).toBe(201);
    const { sessionToken, sessionId } = (await validated.json()) as {
      sessionToken: string;
      sessionId: string;
    };
    for (const user of ["bob@seatco.test", "carol@seatco.test"]) {
      const joined = await fetch(`${h.url}/v1/sessions/users/join`, {
        method: "POST",
        headers: { "content-type": "application/json", authorization: `Bearer ${sessionToken}` },
        body: JSON.stringify({ user }),
      });
      expect(joined.status).toBe(200);
    }
    // Sessions admitted through each workstation's identity (principal workstation:<ns>/<name>, ADR 0151).
    const wsSession = async (ws: string) => {
      const id = crypto.randomUUID();
      await h.pool.query(
        `INSERT INTO container_sessions (id, license_id, organization, container_id, container_type, token_hash,
           state, principal, created_at, last_heartbeat_at)
         VALUES ($1, $2, $3, $4, 'workstation', $5, 'active', $6, $7, $7)`,
        [id, lic.id, org.slug, ws, `hash-${id}`, `workstation:${org.slug}/${ws}`, h.clock.now()],
      );
      return id;
    };
    const bobsSession = await wsSession(bobsWs);
    const carolsSession = await wsSession(carolsWs);

    expect((await call("admin", "DELETE", `${seatsPath(lic.id)}/${bob.userId}`)).status).toBe(204);

    const state = async (id: string) =>
      (await h.pool.query("SELECT state, reason FROM container_sessions WHERE id = $1", [id])).rows[0];
    expect(await state(bobsSession)).toEqual({ state: "terminated", reason: "SeatUnassigned" });
    expect(await state(carolsSession)).toEqual({ state: "active", reason: null });
    expect(await state(sessionId)).toMatchObject({ state: "active" });
    const joined = await h.pool.query(
      "SELECT user_email FROM container_session_users WHERE session_id = $1",
      [sessionId],
    );
    expect(joined.rows).toEqual([{ user_email: "carol@seatco.test" }]);
    const workstations = await h.pool.query(
      "SELECT name, assignee_user_id, desired_state FROM provisioned_workstations WHERE license_id = $1 ORDER BY name",
      [lic.id],
    );
    expect(workstations.rows).toEqual([
      { name: bobsWs, assignee_user_id: null, desired_state: "Stopped" },
      { name: carolsWs, assignee_user_id: carol.userId, desired_state: "Running" },
    ]);
    // Bob cannot join again without a seat.
    const rejoin = await fetch(`${h.url}/v1/sessions/users/join`, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${sessionToken}` },
      body: JSON.stringify({ user: "bob@seatco.test" }),
    });
    expect(rejoin.status).toBe(403);
    expect((await audit("seat.unassigned", lic.id))[0]).toMatchObject({
      actor: "account:admin@seatco.test",
      before: { userId: bob.userId, email: "bob@seatco.test" },
    });
    expect(await audit("workstation.unassigned", lic.id)).toHaveLength(1);
    expect((await audit("session.terminated", lic.id))[0].details.sessionIds).toEqual([bobsSession]);
    expect((await audit("session.user_removed", lic.id))[0].details.sessionIds).toEqual([sessionId]);
    expect(await outbox("seat_unassigned", "bob@seatco.test")).toHaveLength(1);
    expect(await outbox("seat_unassigned", "carol@seatco.test")).toHaveLength(0);
  });

  it("unassignUserEverywhere (member removal) takes every seat and workstation the person has in the organization", async () => {
    const one = await grantLicense(h.pool, h.clock.now(), {
      organization: org.slug,
      seats: 3,
      workstations: 1,
    });
    const two = await grantLicense(h.pool, h.clock.now(), { organization: org.slug, seats: 3 });
    const dana = await member("dana@seatco.test");
    for (const lic of [one, two])
      expect((await call("owner", "POST", seatsPath(lic.id), { userId: dana.userId })).status).toBe(201);
    await call("owner", "POST", `/organizations/${org.slug}/workstations/${one.workstations[0]}/assign`, {
      userId: dana.userId,
    });
    const followUp = await withTransaction(h.pool, (tx) =>
      unassignUserEverywhere(tx, org.slug, dana.userId, "account:owner@seatco.test", h.clock.now()),
    );
    expect(followUp.licenseIds.sort()).toEqual([one.id, two.id].sort());
    const seats = await h.pool.query("SELECT license_id FROM seat_assignments WHERE user_id = $1", [
      dana.userId,
    ]);
    expect(seats.rows).toEqual([]);
    const ws = await h.pool.query("SELECT assignee_user_id FROM provisioned_workstations WHERE name = $1", [
      one.workstations[0],
    ]);
    expect(ws.rows[0].assignee_user_id).toBeNull();
    expect(await outbox("seat_unassigned", "dana@seatco.test")).toHaveLength(2);
  });

  it("removing a member (DELETE …/members/:userId) takes their seats and workstation in the same transaction", async () => {
    const lic = await grantLicense(h.pool, h.clock.now(), {
      organization: org.slug,
      seats: 2,
      workstations: 1,
    });
    const erin = await member("erin@seatco.test");
    expect((await call("owner", "POST", seatsPath(lic.id), { userId: erin.userId })).status).toBe(201);
    const assign = await call(
      "owner",
      "POST",
      `/organizations/${org.slug}/workstations/${lic.workstations[0]}/assign`,
      { userId: erin.userId },
    );
    expect(assign.status).toBe(200);
    const removed = await call("admin", "DELETE", `/organizations/${org.slug}/members/${erin.userId}`);
    expect(removed.status).toBe(204);
    const held = await h.pool.query(
      `SELECT (SELECT count(*)::int FROM seat_assignments WHERE user_id = $1) AS seats,
              (SELECT count(*)::int FROM provisioned_workstations WHERE assignee_user_id = $1) AS workstations,
              (SELECT count(*)::int FROM memberships WHERE user_id = $1) AS memberships`,
      [erin.userId],
    );
    expect(held.rows[0]).toEqual({ seats: 0, workstations: 0, memberships: 0 });
    expect(await outbox("seat_unassigned", "erin@seatco.test")).toHaveLength(1);
    expect((await audit("seat.unassigned", lic.id))[0]?.actor).toBe("account:admin@seatco.test");
  });
});
