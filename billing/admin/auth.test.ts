/**
 * Accountable admins (issue 13 §6, ADR 0165): Google ID tokens and IAP assertions verified against a
 * local stand-in for Google's keys (fetched over HTTP as in production), the allow-list, the audit actor,
 * and the shared token as break-glass.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  type FakeGoogleIdentity,
  startFakeGoogleIdentity,
} from "../../test-support/fake-google-identity/index.js";
import { type BillingHarness, startBillingHarness, TEST_ADMIN_TOKEN } from "../testing/harness.js";

const ADMIN = "alice@coditect.example";
const AUDIENCE = "32555940559.apps.googleusercontent.com";
const IAP_AUDIENCE = "/projects/123456789/global/backendServices/987654321";
const grant = {
  organization: "accountable-co",
  customerEmail: "lead@accountable.test",
  tier: "pro",
  provisioningType: "pilot",
  durationDays: 30,
};

interface ErrorBody {
  error: { code: string; message: string };
}

describe("admin authentication with Google identities", () => {
  let google: FakeGoogleIdentity;
  let h: BillingHarness;
  let off: BillingHarness;

  beforeAll(async () => {
    google = await startFakeGoogleIdentity();
    const identity = {
      ADMIN_EMAILS: `${ADMIN}, Bob@Coditect.example`,
      ADMIN_ID_TOKEN_AUDIENCES: AUDIENCE,
      ADMIN_GOOGLE_JWKS_URL: google.jwksUrl,
      ADMIN_IAP_AUDIENCE: IAP_AUDIENCE,
      ADMIN_IAP_JWKS_URL: google.iapJwksUrl,
    };
    // Break-glass on (the harness's default token) and off (production's default).
    h = await startBillingHarness({ env: identity });
    off = await startBillingHarness({ env: { ...identity, ADMIN_TOKEN: undefined } });
  });
  afterAll(async () => {
    await h?.stop();
    await off?.stop();
    await google?.stop();
  });

  const now = () => h.clock.now();
  const idToken = (o: Partial<Parameters<FakeGoogleIdentity["idToken"]>[0]> = {}) =>
    google.idToken({ email: ADMIN, audience: AUDIENCE, now: now(), ...o });
  const call = (target: BillingHarness, headers: Record<string, string>, body: unknown = grant) =>
    fetch(`${target.url}/v1/admin/licenses`, {
      method: "POST",
      headers: { "content-type": "application/json", ...headers },
      body: JSON.stringify(body),
    });
  const auditRows = async (target: BillingHarness, actor: string) =>
    (
      await target.pool.query<{ action: string; license_id: string | null; details: unknown }>(
        "SELECT action, license_id, details FROM audit_events WHERE actor = $1 ORDER BY id",
        [actor],
      )
    ).rows;
  const auditCount = async (target: BillingHarness) =>
    (await target.pool.query("SELECT count(*)::int AS n FROM audit_events")).rows[0].n as number;

  it("a verified admin acts as themselves: the audit actor is their email", async () => {
    const res = await call(h, { authorization: `Bearer ${await idToken()}` });
    expect(res.status).toBe(201);
    const { license } = (await res.json()) as { license: { id: string } };
    const rows = await auditRows(h, ADMIN);
    expect(rows).toContainEqual(
      expect.objectContaining({ action: "license.created", license_id: license.id }),
    );
    // A change made by a verified admin leaves no break-glass trace.
    expect((await auditRows(h, "break-glass")).map((r) => r.action)).not.toContain("license.created");
  });

  it("matches the allow-list case-insensitively (Google spells emails in lower case)", async () => {
    const res = await call(h, {
      authorization: `Bearer ${await idToken({ email: "bob@coditect.example" })}`,
    });
    expect(res.status).toBe(201);
    expect(await auditRows(h, "bob@coditect.example")).toHaveLength(1);
  });

  it("an IAP-signed header identifies the admin too", async () => {
    const assertion = await google.iapAssertion({ email: ADMIN, audience: IAP_AUDIENCE, now: now() });
    const res = await fetch(`${h.url}/v1/admin/licenses`, {
      headers: { "x-goog-iap-jwt-assertion": assertion },
    });
    expect(res.status).toBe(200);
    const wrongAudience = await google.iapAssertion({
      email: ADMIN,
      audience: "/projects/1/global/backendServices/2",
      now: now(),
    });
    const refused = await fetch(`${h.url}/v1/admin/licenses`, {
      headers: { "x-goog-iap-jwt-assertion": wrongAudience },
    });
    expect(refused.status).toBe(401);
    expect(((await refused.json()) as ErrorBody).error.code).toBe("token_audience_invalid");
  });

  it("refuses a verified Google identity that is not on the allow-list with 403, changing nothing", async () => {
    const before = await auditCount(h);
    const res = await call(h, { authorization: `Bearer ${await idToken({ email: "mallory@gmail.com" })}` });
    expect(res.status).toBe(403);
    expect(await res.json()).toEqual({
      error: {
        code: "admin_not_allowed",
        message: "mallory@gmail.com is not an admin (not on ADMIN_EMAILS)",
      },
    });
    expect(await auditCount(h)).toBe(before);
  });

  it.each([
    ["an expired token", { now: new Date("2026-05-31T22:00:00Z") }, "token_expired"],
    ["a token for another audience", { audience: "https://other.example" }, "token_audience_invalid"],
    ["a token from another issuer", { issuer: "https://evil.example" }, "token_issuer_invalid"],
    ["a token with an unverified email", { emailVerified: false }, "token_email_unverified"],
  ])("refuses %s with 401 and its own code", async (_name, overrides, code) => {
    const before = await auditCount(h);
    const res = await call(h, { authorization: `Bearer ${await idToken(overrides)}` });
    expect(res.status).toBe(401);
    expect(res.headers.get("www-authenticate")).toMatch(
      /^Bearer realm="coditect-admin", error="invalid_token"/,
    );
    expect(((await res.json()) as ErrorBody).error.code).toBe(code);
    expect(await auditCount(h)).toBe(before);
  });

  it("refuses a token signed by a key Google does not publish", async () => {
    const forged = await google.forgedIdToken({ email: ADMIN, audience: AUDIENCE, now: now() });
    const res = await call(h, { authorization: `Bearer ${forged}` });
    expect(res.status).toBe(401);
    expect(((await res.json()) as ErrorBody).error.code).toBe("token_signature_invalid");
  });

  it("refuses X-Admin-Actor: nobody names the actor but their verified identity", async () => {
    const before = await auditCount(h);
    const res = await call(h, { authorization: `Bearer ${await idToken()}`, "x-admin-actor": "bob" });
    expect(res.status).toBe(400);
    expect(((await res.json()) as ErrorBody).error.code).toBe("admin_actor_refused");
    expect(await auditCount(h)).toBe(before);
  });

  it("break-glass on: the shared token works, is audited as break-glass on every use, reads included", async () => {
    const read = await fetch(`${h.url}/v1/admin/licenses?organization=accountable-co`, {
      headers: { authorization: `Bearer ${TEST_ADMIN_TOKEN}` },
    });
    expect(read.status).toBe(200);
    const created = await call(h, { authorization: `Bearer ${TEST_ADMIN_TOKEN}` });
    expect(created.status).toBe(201);
    const { license } = (await created.json()) as { license: { id: string } };
    const rows = await auditRows(h, "break-glass");
    expect(rows).toEqual([
      expect.objectContaining({
        action: "admin.break_glass_used",
        details: expect.objectContaining({ method: "GET", path: "/v1/admin/licenses" }),
      }),
      expect.objectContaining({
        action: "admin.break_glass_used",
        details: expect.objectContaining({ method: "POST", path: "/v1/admin/licenses" }),
      }),
      expect.objectContaining({ action: "license.created", license_id: license.id }),
    ]);
    const wrong = await call(h, { authorization: `Bearer ${"x".repeat(40)}` });
    expect(wrong.status).toBe(401);
    expect(((await wrong.json()) as ErrorBody).error.code).toBe("invalid_token");
  });

  it("break-glass off (production): the shared token gets 401, Google identities still work", async () => {
    const before = await auditCount(off);
    const res = await call(off, { authorization: `Bearer ${TEST_ADMIN_TOKEN}` });
    expect(res.status).toBe(401);
    expect(((await res.json()) as ErrorBody).error.code).toBe("break_glass_off");
    expect(await auditCount(off)).toBe(before);
    const verified = await call(off, { authorization: `Bearer ${await idToken({ now: off.clock.now() })}` });
    expect(verified.status).toBe(201);
  });

  it("refuses a missing credential with 401 and a hint", async () => {
    const res = await fetch(`${h.url}/v1/admin/licenses`);
    expect(res.status).toBe(401);
    expect(res.headers.get("www-authenticate")).toBe('Bearer realm="coditect-admin"');
    expect(((await res.json()) as ErrorBody).error.message).toMatch(/gcloud auth print-identity-token/);
  });
});
