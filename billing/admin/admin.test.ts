import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { hashLicenseKey } from "../licenses/keys.js";
import {
  type BillingHarness,
  startBillingHarness,
  TEST_ADMIN_EMAIL,
  TEST_ADMIN_TOKEN,
} from "../testing/harness.js";

interface LicenseView {
  id: string;
  state: string;
  stateReason: string;
  seats: number;
  maxContainers: number | null;
  expiresAt: string | null;
  expiringSoon: boolean;
  provisioningType: string;
  overrides: { seats: number | null; maxContainers: number | "unlimited" | null };
}

describe("admin API", () => {
  let h: BillingHarness;
  beforeAll(async () => {
    h = await startBillingHarness();
  });
  afterAll(() => h.stop());

  const pilot = {
    organization: "pilot-co",
    customerEmail: "lead@pilot.test",
    tier: "pro",
    provisioningType: "pilot",
    durationDays: 30,
    seats: 5,
    notes: "Q3 pilot",
  };
  const create = async (body: Record<string, unknown> = pilot) => {
    const res = await h.admin("POST", "/licenses", body);
    expect(res.status).toBe(201);
    return (await res.json()) as { license: LicenseView; licenseKey: string };
  };
  const json = async <T>(res: Response) => (await res.json()) as T;
  const auditCount = async () =>
    (await h.pool.query("SELECT count(*)::int AS n FROM audit_events")).rows[0].n as number;

  describe("authentication", () => {
    it.each([
      ["no Authorization header", undefined, "unauthorized"],
      ["a wrong token", "wrong-token", "invalid_token"],
      ["a token that is a prefix of the right one", TEST_ADMIN_TOKEN.slice(0, -1), "invalid_token"],
    ])("refuses %s with 401", async (_name, token, code) => {
      const res = await fetch(
        `${h.url}/v1/admin/licenses`,
        token === undefined ? {} : { headers: { authorization: `Bearer ${token}` } },
      );
      expect(res.status).toBe(401);
      expect(res.headers.get("www-authenticate")).toMatch(/^Bearer/);
      expect(((await res.json()) as { error: { code: string } }).error.code).toBe(code);
    });

    it("refuses a mutation without changing anything", async () => {
      const before = await auditCount();
      const res = await h.admin("POST", "/licenses", pilot, "nope");
      expect(res.status).toBe(401);
      expect(await auditCount()).toBe(before);
    });
  });

  it("creates a pilot license without payment, returns the key once and audits it", async () => {
    const { license, licenseKey } = await create();
    expect(license).toMatchObject({
      state: "active",
      stateReason: "AdminGranted",
      provisioningType: "pilot",
      seats: 5,
      maxContainers: 5,
      expiresAt: "2026-07-01T00:00:00.000Z",
    });
    const row = await h.pool.query("SELECT key_hash FROM licenses WHERE id = $1", [license.id]);
    expect(row.rows[0].key_hash).toBe(hashLicenseKey(licenseKey));
    const fetched = await json<{ license: Record<string, unknown> }>(
      await h.admin("GET", `/licenses/${license.id}`),
    );
    expect(JSON.stringify(fetched)).not.toContain(licenseKey);
    const audit = await json<{
      events: { action: string; actor: string; before: unknown; after: { id: string } }[];
    }>(await h.admin("GET", `/audit-events?licenseId=${license.id}`));
    expect(audit.events).toHaveLength(1);
    expect(audit.events[0]).toMatchObject({
      action: "license.created",
      actor: TEST_ADMIN_EMAIL,
      before: null,
      after: { id: license.id },
    });
  });

  it("revoke, reinstate, suspend, extend and overrides each change state and write one audit event", async () => {
    const { license } = await create({ ...pilot, organization: "lifecycle-co" });
    const act = async (method: string, path: string, body: unknown) => {
      const res = await h.admin(method, `/licenses/${license.id}${path}`, body);
      expect(res.status).toBe(200);
      return ((await res.json()) as { license: LicenseView }).license;
    };
    expect(await act("POST", "/revoke", { reason: "chargeback" })).toMatchObject({
      state: "revoked",
      stateReason: "AdminRevoked",
    });
    expect(await act("POST", "/reinstate", { reason: "resolved" })).toMatchObject({ state: "active" });
    expect(await act("POST", "/suspend", { reason: "abuse" })).toMatchObject({
      state: "suspended",
      stateReason: "AdminSuspended",
    });
    expect(await act("POST", "/reinstate", { reason: "cleared" })).toMatchObject({ state: "active" });
    expect((await act("POST", "/extend", { days: 10, reason: "pilot extension" })).expiresAt).toBe(
      "2026-07-11T00:00:00.000Z",
    );
    expect(
      await act("PATCH", "/overrides", { seats: 12, maxContainers: "unlimited", reason: "enterprise trial" }),
    ).toMatchObject({
      seats: 12,
      maxContainers: null,
      overrides: { seats: 12, maxContainers: "unlimited" },
    });
    expect(
      await act("PATCH", "/overrides", { seats: null, maxContainers: null, reason: "back to tier" }),
    ).toMatchObject({ seats: 5, maxContainers: 5 });

    const audit = await json<{ events: { action: string; actor: string; details?: { reason?: string } }[] }>(
      await h.admin("GET", `/audit-events?licenseId=${license.id}`),
    );
    expect(audit.events.map((e) => e.action)).toEqual([
      "license.created",
      "license.revoked",
      "license.reinstated",
      "license.suspended",
      "license.reinstated",
      "license.extended",
      "license.overrides_set",
      "license.overrides_set",
    ]);
    expect(audit.events[1]).toMatchObject({
      actor: TEST_ADMIN_EMAIL,
      details: { reason: "chargeback" },
    });
  });

  it("expiry is decided from the clock: a pilot past its end is expired and can be extended back", async () => {
    const { license } = await create({ ...pilot, organization: "expiry-co", durationDays: 3 });
    expect(license.expiringSoon).toBe(true);
    h.clock.advance(4 * 24 * 60 * 60 * 1000);
    const extended = await json<{ license: LicenseView }>(
      await h.admin("POST", `/licenses/${license.id}/extend`, { days: 30, reason: "converted" }),
    );
    expect(extended.license).toMatchObject({
      state: "active",
      stateReason: "AdminExtended",
      expiringSoon: false,
    });
    h.clock.set("2026-06-01T00:00:00Z");
  });

  it("rotating a key replaces the hash; purge requires a non-entitling license", async () => {
    const { license, licenseKey } = await create({ ...pilot, organization: "rotate-co" });
    const rotated = await json<{ licenseKey: string }>(
      await h.admin("POST", `/licenses/${license.id}/rotate-key`, { reason: "leaked" }),
    );
    expect(rotated.licenseKey).not.toBe(licenseKey);
    const row = await h.pool.query("SELECT key_hash FROM licenses WHERE id = $1", [license.id]);
    expect(row.rows[0].key_hash).toBe(hashLicenseKey(rotated.licenseKey));

    const refused = await h.admin("DELETE", `/licenses/${license.id}`, { reason: "cleanup" });
    expect(refused.status).toBe(409);
    expect(((await refused.json()) as { error: { code: string } }).error.code).toBe("license_entitles");
    await h.admin("POST", `/licenses/${license.id}/revoke`, { reason: "done" });
    expect((await h.admin("DELETE", `/licenses/${license.id}`, { reason: "cleanup" })).status).toBe(204);
    expect((await h.admin("GET", `/licenses/${license.id}`)).status).toBe(404);
    const audit = await json<{ events: { action: string }[] }>(
      await h.admin("GET", `/audit-events?licenseId=${license.id}&action=license.purged`),
    );
    expect(audit.events).toHaveLength(1);
  });

  it("lists and filters licenses", async () => {
    await create({
      ...pilot,
      organization: "filter-co",
      tier: "starter",
      provisioningType: "trial",
      durationDays: 14,
    });
    await create({
      ...pilot,
      organization: "filter-co",
      tier: "enterprise",
      provisioningType: "internal",
      durationDays: undefined,
    });
    const list = async (query: string) =>
      (
        await json<{
          licenses: {
            organization: string;
            tier: string;
            provisioningType: string;
            expiresAt: string | null;
          }[];
        }>(await h.admin("GET", `/licenses?${query}`))
      ).licenses;
    expect((await list("organization=filter-co")).map((l) => l.tier).sort()).toEqual([
      "enterprise",
      "starter",
    ]);
    expect(await list("organization=filter-co&provisioningType=internal")).toEqual([
      expect.objectContaining({ tier: "enterprise", expiresAt: null }),
    ]);
    expect(await list("organization=filter-co&state=revoked")).toEqual([]);
    expect(await list("organization=filter-co&limit=1")).toHaveLength(1);
  });

  describe("validation: clear 400s that change nothing", () => {
    it.each([
      ["POST", "/licenses", { ...pilot, tier: "gold" }, /tier/],
      ["POST", "/licenses", { ...pilot, provisioningType: "paid" }, /provisioningType/],
      ["POST", "/licenses", { ...pilot, durationDays: undefined }, /durationDays: is required/],
      ["POST", "/licenses", { ...pilot, workstations: 2 }, /workstationTier: is required/],
      ["POST", "/licenses", { ...pilot, seats: 0 }, /seats/],
      ["POST", "/licenses/00000000-0000-4000-8000-000000000000/revoke", {}, /reason/],
      ["POST", "/licenses/not-a-uuid/revoke", { reason: "x" }, /id: must be a license id/],
      ["POST", "/licenses/00000000-0000-4000-8000-000000000000/extend", { days: -1, reason: "x" }, /days/],
      [
        "PATCH",
        "/licenses/00000000-0000-4000-8000-000000000000/overrides",
        { reason: "x" },
        /seats and\/or maxContainers/,
      ],
      ["GET", "/licenses?state=happy", undefined, /state/],
      ["GET", "/audit-events?from=yesterday", undefined, /from/],
    ])("%s %s", async (method, path, body, message) => {
      const before = await auditCount();
      const res = await h.admin(method, path, body);
      expect(res.status).toBe(400);
      const { error } = (await res.json()) as { error: { code: string; message: string } };
      expect(error.code).toBe("invalid_request");
      expect(error.message).toMatch(message);
      expect(await auditCount()).toBe(before);
    });

    it("404 for an unknown license id", async () => {
      const res = await h.admin("POST", "/licenses/00000000-0000-4000-8000-000000000000/revoke", {
        reason: "x",
      });
      expect(res.status).toBe(404);
      expect(((await res.json()) as { error: { code: string } }).error.code).toBe("license_not_found");
    });
  });
});
