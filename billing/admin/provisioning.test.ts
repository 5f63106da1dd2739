/**
 * Admin provisioning (issue 16 §1, seeds A.13, ADR 0251) through the real HTTP API and real PostgreSQL:
 * an admin-created license makes its customer a user and the owner of its organization and mails a welcome
 * (outbox, same transaction, never the key); someone else's organization is 409 and changes nothing; batch
 * provisioning answers {success, failed, total} with one transaction per entry; a workstation is provisioned
 * for a user; every action is audited; bad input is a 400 that changes nothing.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { hashLicenseKey } from "../licenses/keys.js";
import { type BillingHarness, startBillingHarness, TEST_ADMIN_EMAIL } from "../testing/harness.js";

interface Created {
  license: { id: string; organization: string; tier: string };
  licenseKey: string;
  userId: string;
}
interface Failure {
  code: string;
  message: string;
}

describe("admin provisioning", () => {
  let h: BillingHarness;
  beforeAll(async () => {
    h = await startBillingHarness();
  });
  afterAll(() => h.stop());

  const pilot = (organization: string, customerEmail: string, extra: Record<string, unknown> = {}) => ({
    organization,
    customerEmail,
    tier: "pro",
    provisioningType: "pilot",
    durationDays: 30,
    seats: 3,
    ...extra,
  });
  const json = async <T>(res: Response) => (await res.json()) as T;
  const counts = async () =>
    (
      await h.pool.query<{ licenses: number; audit: number; outbox: number; ws: number }>(
        `SELECT (SELECT count(*)::int FROM licenses) AS licenses, (SELECT count(*)::int FROM audit_events) AS audit,
                (SELECT count(*)::int FROM notification_outbox) AS outbox,
                (SELECT count(*)::int FROM provisioned_workstations) AS ws`,
      )
    ).rows[0]!;
  const outboxFor = async (licenseId: string) =>
    (
      await h.pool.query<{
        kind: string;
        recipient: string;
        data: Record<string, unknown>;
        dedupe_key: string;
      }>(
        "SELECT kind, recipient, data, dedupe_key FROM notification_outbox WHERE license_id = $1 ORDER BY id",
        [licenseId],
      )
    ).rows;

  describe("POST /v1/admin/licenses", () => {
    it("creates the customer's user and organization (as owner), assigns its workstations and enqueues a welcome without the key", async () => {
      const res = await h.admin(
        "POST",
        "/licenses",
        pilot("welcome-co", "Lead@Welcome.test", { workstationTier: "standard", workstations: 2 }),
      );
      expect(res.status).toBe(201);
      const created = await json<Created>(res);
      const user = await h.pool.query("SELECT id, email FROM users WHERE email = 'lead@welcome.test'");
      expect(user.rows).toEqual([{ id: created.userId, email: "lead@welcome.test" }]);
      const org = await h.pool.query("SELECT owner_user_id FROM organizations WHERE slug = 'welcome-co'");
      expect(org.rows[0].owner_user_id).toBe(created.userId);
      const member = await h.pool.query("SELECT role FROM memberships WHERE organization = 'welcome-co'");
      expect(member.rows).toEqual([{ role: "owner" }]);
      const ws = await h.pool.query(
        "SELECT assignee_user_id FROM provisioned_workstations WHERE license_id = $1",
        [created.license.id],
      );
      expect(ws.rows).toEqual([{ assignee_user_id: created.userId }, { assignee_user_id: created.userId }]);

      const messages = await outboxFor(created.license.id);
      expect(messages).toEqual([
        {
          kind: "welcome",
          recipient: "Lead@Welcome.test",
          dedupe_key: `welcome:${created.license.id}`,
          data: {
            licenseId: created.license.id,
            organization: "welcome-co",
            tier: "pro",
            expiresAt: "2026-07-01T00:00:00.000Z",
            signInUrl: "http://billing.test/account/",
          },
        },
      ]);
      expect(JSON.stringify(messages)).not.toContain(created.licenseKey);

      const audit = await h.pool.query(
        "SELECT actor, action, details FROM audit_events WHERE license_id = $1",
        [created.license.id],
      );
      expect(audit.rows).toEqual([
        {
          actor: TEST_ADMIN_EMAIL,
          action: "license.created",
          details: expect.objectContaining({ userId: created.userId, organizationCreated: true }),
        },
      ]);
    });

    it("a second license for an organization the customer owns (or administers) is fine", async () => {
      const first = await json<Created>(
        await h.admin("POST", "/licenses", pilot("repeat-co", "owner@repeat.test")),
      );
      const second = await h.admin(
        "POST",
        "/licenses",
        pilot("repeat-co", "owner@repeat.test", { tier: "starter" }),
      );
      expect(second.status).toBe(201);
      expect((await json<Created>(second)).userId).toBe(first.userId);
      // An admin of the organization may be named as a new license's customer too.
      const admin = await h.pool.query<{ id: string }>(
        "INSERT INTO users (id, email, created_at) VALUES (gen_random_uuid(), 'it@repeat.test', now()) RETURNING id",
      );
      await h.pool.query(
        "INSERT INTO memberships (organization, user_id, role, created_at) VALUES ('repeat-co', $1, 'admin', now())",
        [admin.rows[0]!.id],
      );
      expect((await h.admin("POST", "/licenses", pilot("repeat-co", "it@repeat.test"))).status).toBe(201);
    });

    it("refuses someone else's organization with 409 organization_taken and changes nothing", async () => {
      await h.admin("POST", "/licenses", pilot("taken-co", "owner@taken.test"));
      const before = await counts();
      const res = await h.admin("POST", "/licenses", pilot("taken-co", "intruder@elsewhere.test"));
      expect(res.status).toBe(409);
      const { error } = await json<{ error: Failure }>(res);
      expect(error.code).toBe("organization_taken");
      expect(error.message).toContain("taken-co");
      expect(await counts()).toEqual(before);
      const users = await h.pool.query("SELECT 1 FROM users WHERE email = 'intruder@elsewhere.test'");
      expect(users.rowCount).toBe(0); // the whole transaction rolled back, user record included
    });
  });

  describe("POST /v1/admin/licenses/batch", () => {
    it("creates each entry in its own transaction and reports the ones that conflict as failed", async () => {
      await h.admin("POST", "/licenses", pilot("batch-taken", "owner@batch.test"));
      const before = await counts();
      const res = await h.admin("POST", "/licenses/batch", {
        licenses: [
          pilot("batch-a", "a@batch.test"),
          pilot("batch-taken", "c@batch.test"),
          pilot("batch-d", "d@batch.test", { workstationTier: "power", workstations: 1 }),
          // The entry before created batch-d with d@ as owner: e@ may not put a license into it.
          pilot("batch-d", "e@batch.test"),
        ],
      });
      expect(res.status).toBe(200);
      expect(res.headers.get("cache-control")).toBe("no-store");
      const body = await json<{
        success: (Created & { index: number })[];
        failed: { index: number; error: Failure }[];
        total: number;
      }>(res);
      expect(body.total).toBe(4);
      expect(body.success.map((s) => [s.index, s.license.organization])).toEqual([
        [0, "batch-a"],
        [2, "batch-d"],
      ]);
      expect(body.failed).toEqual([
        { index: 1, error: { code: "organization_taken", message: expect.stringContaining("batch-taken") } },
        { index: 3, error: { code: "organization_taken", message: expect.stringContaining("batch-d") } },
      ]);
      for (const s of body.success) {
        const row = await h.pool.query("SELECT key_hash FROM licenses WHERE id = $1", [s.license.id]);
        expect(row.rows[0].key_hash).toBe(hashLicenseKey(s.licenseKey));
        expect((await outboxFor(s.license.id)).map((m) => m.kind)).toEqual(["welcome"]);
      }
      const after = await counts();
      expect(after.licenses - before.licenses).toBe(2);
      expect(after.outbox - before.outbox).toBe(2);
      expect(after.ws - before.ws).toBe(1);
      const users = await h.pool.query(
        "SELECT email FROM users WHERE email IN ('c@batch.test', 'e@batch.test')",
      );
      expect(users.rowCount).toBe(0); // a failed entry's transaction rolled back entirely
      const audit = await h.pool.query(
        "SELECT details->'batch' AS batch FROM audit_events WHERE action = 'license.created' AND license_id = ANY($1) ORDER BY id",
        [body.success.map((s) => s.license.id)],
      );
      expect(audit.rows.map((r) => r.batch)).toEqual([
        { index: 0, total: 4 },
        { index: 2, total: 4 },
      ]);
    });

    it.each([
      ["no licenses array", {}, /licenses/],
      ["an empty array", { licenses: [] }, /licenses/],
      ["more than 100 entries", { licenses: Array.from({ length: 101 }, () => ({})) }, /licenses/],
      ["an unknown field", { licenses: [{}], sendEmails: true }, /sendEmails/],
      [
        "one malformed entry (the whole batch is refused, naming it)",
        {
          licenses: [
            pilot("batch-ok", "ok@batch.test"),
            pilot("batch-bad", "b@batch.test", { tier: "gold" }),
          ],
        },
        /^licenses\.1\.tier:/,
      ],
      ["an entry that is not an object", { licenses: ["acme"] }, /licenses\.0/],
    ])("400 for %s, nothing created", async (_name, body, message) => {
      const before = await counts();
      const res = await h.admin("POST", "/licenses/batch", body);
      expect(res.status).toBe(400);
      const { error } = await json<{ error: Failure }>(res);
      expect(error.code).toBe("invalid_request");
      expect(error.message).toMatch(message);
      expect(await counts()).toEqual(before);
    });
  });

  describe("POST /v1/admin/workstations and GET /v1/admin/workstations", () => {
    it("provisions a workstation for a user (made a member), audits it and lists it without cluster status", async () => {
      const lic = await json<Created>(await h.admin("POST", "/licenses", pilot("ws-co", "owner@ws.test")));
      const res = await h.admin("POST", "/workstations", {
        licenseId: lic.license.id,
        tier: "power",
        userEmail: "Dev@WS.test",
        reason: "pilot onboarding",
      });
      expect(res.status).toBe(201);
      const { workstation } = await json<{ workstation: Record<string, unknown> }>(res);
      const user = await h.pool.query<{ id: string }>("SELECT id FROM users WHERE email = 'dev@ws.test'");
      expect(workstation).toMatchObject({
        name: `ws-adm-${lic.license.id.replace(/-/g, "").slice(0, 24)}-1`,
        namespace: "ws-co",
        licenseId: lic.license.id,
        tier: "power",
        userEmail: "dev@ws.test",
        assigneeUserId: user.rows[0]!.id,
        desiredState: "Running",
      });
      const role = await h.pool.query(
        "SELECT role FROM memberships WHERE organization = 'ws-co' AND user_id = $1",
        [user.rows[0]!.id],
      );
      expect(role.rows).toEqual([{ role: "member" }]);
      const second = await json<{ workstation: { name: string } }>(
        await h.admin("POST", "/workstations", {
          licenseId: lic.license.id,
          tier: "standard",
          userEmail: "owner@ws.test",
        }),
      );
      expect(second.workstation.name).toMatch(/-2$/);
      // The owner stays owner: provisioning never demotes.
      expect(
        (
          await h.pool.query("SELECT role FROM memberships WHERE organization = 'ws-co' AND user_id = $1", [
            lic.userId,
          ])
        ).rows,
      ).toEqual([{ role: "owner" }]);

      const audit = await h.pool.query(
        "SELECT actor, after, details FROM audit_events WHERE action = 'workstation.provisioned' AND license_id = $1 ORDER BY id",
        [lic.license.id],
      );
      expect(audit.rows[0]).toEqual({
        actor: TEST_ADMIN_EMAIL,
        after: { name: workstation.name, namespace: "ws-co", tier: "power", userEmail: "dev@ws.test" },
        details: { reason: "pilot onboarding", userId: user.rows[0]!.id, membershipAdded: true },
      });
      expect(audit.rows[1].details).toMatchObject({ membershipAdded: false });

      const list = await json<{ workstations: { name: string; status: unknown }[]; cluster: string }>(
        await h.admin("GET", `/workstations?licenseId=${lic.license.id}`),
      );
      expect(list.cluster).toBe("off");
      expect(list.workstations.map((w) => w.name).sort()).toEqual(
        [workstation.name, second.workstation.name].sort(),
      );
      expect(list.workstations.every((w) => w.status === null)).toBe(true);
      const byUser = await json<{ workstations: { name: string }[] }>(
        await h.admin("GET", "/workstations?userEmail=DEV@ws.test"),
      );
      expect(byUser.workstations.map((w) => w.name)).toEqual([workstation.name]);
    });

    it("409 on a license that does not entitle, 404 on an unknown one; nothing changes", async () => {
      const lic = await json<Created>(
        await h.admin("POST", "/licenses", pilot("ws-revoked", "owner@wsr.test")),
      );
      await h.admin("POST", `/licenses/${lic.license.id}/revoke`, { reason: "ended" });
      const before = await counts();
      const revoked = await h.admin("POST", "/workstations", {
        licenseId: lic.license.id,
        tier: "standard",
        userEmail: "x@wsr.test",
      });
      expect(revoked.status).toBe(409);
      expect((await json<{ error: Failure }>(revoked)).error.code).toBe("license_not_entitled");
      const unknown = await h.admin("POST", "/workstations", {
        licenseId: "00000000-0000-4000-8000-000000000000",
        tier: "standard",
        userEmail: "x@wsr.test",
      });
      expect(unknown.status).toBe(404);
      expect(await counts()).toEqual(before);
    });

    it.each([
      ["POST", "/workstations", { licenseId: "nope", tier: "standard", userEmail: "a@b.test" }, /licenseId/],
      [
        "POST",
        "/workstations",
        { licenseId: "00000000-0000-4000-8000-000000000000", tier: "huge", userEmail: "a@b.test" },
        /tier/,
      ],
      [
        "POST",
        "/workstations",
        { licenseId: "00000000-0000-4000-8000-000000000000", tier: "ai", userEmail: "not-an-email" },
        /userEmail/,
      ],
      [
        "POST",
        "/workstations",
        { licenseId: "00000000-0000-4000-8000-000000000000", tier: "ai", userEmail: "a@b.test", extra: 1 },
        /extra/,
      ],
      ["GET", "/workstations?limit=0", undefined, /limit/],
      ["GET", "/workstations?organization=Not_A_Slug", undefined, /organization/],
      ["GET", "/workstations?licenseId=x", undefined, /licenseId/],
    ])("%s %s: 400 naming the bad value", async (method, path, body, message) => {
      const before = await counts();
      const res = await h.admin(method, path, body);
      expect(res.status).toBe(400);
      const { error } = await json<{ error: Failure }>(res);
      expect(error.code).toBe("invalid_request");
      expect(error.message).toMatch(message);
      expect(await counts()).toEqual(before);
    });

    it.each([
      ["POST", "/v1/admin/licenses/batch"],
      ["POST", "/v1/admin/workstations"],
      ["GET", "/v1/admin/workstations"],
    ])("%s %s needs an admin", async (method, path) => {
      const res = await fetch(`${h.url}${path}`, {
        method,
        headers: { "content-type": "application/json" },
        ...(method === "POST" ? { body: "{}" } : {}),
      });
      expect(res.status).toBe(401);
    });
  });
});
