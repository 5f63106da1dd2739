/**
 * POST /v1/account/organizations/:organization/billing-portal through the real app: admins and owners get a
 * Stripe Billing Portal URL (the real SDK against the fake Stripe) for the organization's customer; every
 * other role, outsiders, missing sessions and CSRF failures are refused; bad input names the bad value.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type BillingHarness, eventsById, startBillingHarness } from "../../testing/harness.js";
import type { Role } from "../directory.js";
import { signInForTest, type TestAccount } from "../testing/sign-in.js";

const ORG = "portal-co";

describe("billing portal", () => {
  let h: BillingHarness;
  let customerId: string;
  let licenseId: string;
  beforeAll(async () => {
    h = await startBillingHarness();
    const purchase = await h.buy([{ product: "pro", quantity: 2 }], ORG, "owner@portal-co.test");
    for (const event of eventsById(
      h.fake,
      purchase.events.map((e) => e.id),
    ))
      await h.sendEvent(event);
    const row = await h.pool.query("SELECT id, stripe_customer_id FROM licenses WHERE organization = $1", [
      ORG,
    ]);
    customerId = row.rows[0].stripe_customer_id;
    licenseId = row.rows[0].id;
  });
  afterAll(() => h.stop());

  const as = (role: Role | "outsider", org = ORG): Promise<TestAccount> =>
    signInForTest(
      h.pool,
      role === "owner" ? "owner@portal-co.test" : `${role}-${org}@people.test`,
      h.clock.now(),
      role === "outsider" ? undefined : { organization: org, role },
    );
  const open = (
    account: TestAccount | undefined,
    body?: unknown,
    org = ORG,
    headers: Record<string, string> = {},
  ) =>
    fetch(`${h.url}/v1/account/organizations/${org}/billing-portal`, {
      method: "POST",
      headers: { ...(account?.headers ?? { "content-type": "application/json" }), ...headers },
      ...(body === undefined ? {} : { body: typeof body === "string" ? body : JSON.stringify(body) }),
    });
  const error = async (res: Response) =>
    ((await res.json()) as { error: { code: string; message: string } }).error;

  it.each<Role>(["owner", "admin"])(
    "%s: a portal session for the organization's customer, returning to the account",
    async (role) => {
      const account = await as(role);
      const res = await open(account);
      expect(res.status).toBe(200);
      const { url } = (await res.json()) as { url: string };
      expect(url).toMatch(new RegExp(`^${h.fake.url}/_fake/billing_portal/bps_`));
      const session = h.fake.store.portalSessions.get(url.split("/").at(-1)!)!;
      expect(session).toMatchObject({ customer: customerId, return_url: "http://billing.test/account/" });
      const audit = await h.pool.query(
        "SELECT actor, license_id, details FROM audit_events WHERE action = 'billing_portal.opened' ORDER BY id DESC LIMIT 1",
      );
      expect(audit.rows[0]).toMatchObject({
        actor: `account:${account.email}`,
        license_id: licenseId,
        details: { organization: ORG, customerId },
      });
    },
  );

  it.each<[Role | "outsider", number, string]>([
    ["member", 403, "forbidden"],
    ["viewer", 403, "forbidden"],
    ["outsider", 404, "organization_not_found"],
  ])("%s is refused (%i %s) and no portal session is made", async (role, status, code) => {
    const before = h.fake.store.portalSessions.size;
    const res = await open(await as(role));
    expect(res.status).toBe(status);
    expect((await error(res)).code).toBe(code);
    expect(h.fake.store.portalSessions.size).toBe(before);
  });

  it("without a session: 401 not_signed_in; without the CSRF token or from another origin: 403 csrf_failed", async () => {
    expect((await error(await open(undefined))).code).toBe("not_signed_in");
    const owner = await as("owner");
    const noCsrf = await fetch(`${h.url}/v1/account/organizations/${ORG}/billing-portal`, {
      method: "POST",
      headers: { cookie: owner.cookie, "content-type": "application/json" },
    });
    expect(noCsrf.status).toBe(403);
    expect((await error(noCsrf)).code).toBe("csrf_failed");
    const otherOrigin = await open(owner, undefined, ORG, { origin: "https://evil.test" });
    expect(otherOrigin.status).toBe(403);
  });

  it.each<[string, unknown, number, string, RegExp]>([
    ["a licenseId that is not a UUID", { licenseId: "nope" }, 400, "invalid_request", /licenseId/],
    ["an unknown field", { customer: "cus_someone_else" }, 400, "invalid_request", /customer/],
    ["malformed JSON", '{"licenseId": ', 400, "malformed_json", /JSON/],
    [
      "a license of another organization",
      { licenseId: "00000000-0000-4000-8000-000000000001" },
      404,
      "license_not_found",
      /00000000-0000-4000-8000-000000000001/,
    ],
  ])("bad input: %s", async (_name, body, status, code, message) => {
    const before = h.fake.store.portalSessions.size;
    const res = await open(await as("owner"), body);
    expect(res.status).toBe(status);
    const e = await error(res);
    expect(e.code).toBe(code);
    expect(e.message).toMatch(message);
    expect(h.fake.store.portalSessions.size).toBe(before);
  });

  it("names a purchase with licenseId", async () => {
    const res = await open(await as("owner"), { licenseId });
    expect(res.status).toBe(200);
  });

  it("409 no_stripe_customer for an organization with admin-granted licenses only", async () => {
    const created = await h.admin("POST", "/licenses", {
      organization: "granted-only",
      customerEmail: "ops@granted-only.test",
      tier: "pro",
      provisioningType: "pilot",
      durationDays: 30,
    });
    expect(created.status).toBe(201);
    const res = await open(await as("owner", "granted-only"), undefined, "granted-only");
    expect(res.status).toBe(409);
    expect((await error(res)).code).toBe("no_stripe_customer");
  });
});
