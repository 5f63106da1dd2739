/**
 * Issue 13's low-severity hardening of billing, through the real app: reserved organization slugs,
 * security headers, and the session ceiling of unlimited licenses.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { reservedOrganizationReason } from "./licenses/organization.js";
import { type BillingHarness, startBillingHarness } from "./testing/harness.js";

let h: BillingHarness;
beforeAll(async () => {
  h = await startBillingHarness({ env: { UNLIMITED_LICENSE_SESSION_CEILING: "2" } });
});
afterAll(() => h?.stop());

const errorOf = async (res: Response) =>
  ((await res.json()) as { error: { code: string; message: string } }).error;

describe("reserved organization slugs", () => {
  it.each([
    "default",
    "kube-system",
    "kube-public",
    "coditect-billing",
    "gke-managed-x",
    "kubernetes-dashboard",
    "istio-system",
    "gmp-public",
  ])("refuses %s at checkout and at admin create with a 400 naming it", async (slug) => {
    const checkout = await fetch(`${h.url}/v1/checkout`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({
        organization: slug,
        customerEmail: "a@b.test",
        items: [{ product: "starter", quantity: 1 }],
      }),
    });
    expect(checkout.status).toBe(400);
    expect(await errorOf(checkout)).toMatchObject({
      code: "invalid_request",
      message: expect.stringContaining(`organization: "${slug}" is reserved`),
    });
    const admin = await h.admin("POST", "/licenses", {
      organization: slug,
      customerEmail: "a@b.test",
      tier: "pro",
      provisioningType: "internal",
    });
    expect(admin.status).toBe(400);
    expect((await errorOf(admin)).message).toContain(`organization: "${slug}" is reserved`);
  });

  it("accepts ordinary slugs that merely contain a reserved word", () => {
    for (const slug of ["acme", "my-kube-shop", "defaults", "coditect", "gke"])
      expect(reservedOrganizationReason(slug), slug).toBeUndefined();
  });
});

describe("security headers", () => {
  it.each([
    ["a health probe", "/healthz"],
    ["a 404", "/no-such-route"],
    ["an unauthenticated admin call", "/v1/admin/licenses"],
  ])("are on %s", async (_label, path) => {
    const res = await fetch(`${h.url}${path}`);
    expect(res.headers.get("content-security-policy")).toBe("default-src 'none';frame-ancestors 'none'");
    expect(res.headers.get("strict-transport-security")).toBe("max-age=31536000; includeSubDomains");
    expect(res.headers.get("x-content-type-options")).toBe("nosniff");
    expect(res.headers.get("x-frame-options")).toBe("SAMEORIGIN");
    expect(res.headers.get("referrer-policy")).toBe("no-referrer");
    expect(res.headers.get("x-powered-by")).toBeNull();
  });
});

describe("unlimited licenses", () => {
  it("hold at most the configured number of concurrent sessions, refused with 429 seat_limit_reached", async () => {
    const created = await h.admin("POST", "/licenses", {
      organization: "unlimited-co",
      customerEmail: "ops@unlimited.test",
      tier: "enterprise",
      provisioningType: "internal",
      maxContainers: "unlimited",
    });
    expect(created.status).toBe(201);
    const { license, licenseKey } = (await created.json()) as {
      license: { maxContainers: number | null };
      licenseKey: string;
    };
    expect(license.maxContainers).toBeNull();
    const validate = (containerId: string) =>
      fetch(`${h.url}/v1/sessions/validate`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ licenseKey, containerId, containerType: "docker" }),
      });
    expect((await validate("c-1")).status).toBe(201);
    expect((await validate("c-2")).status).toBe(201);
    const third = await validate("c-3");
    expect(third.status).toBe(429);
    expect(((await third.json()) as { error: unknown }).error).toMatchObject({
      code: "seat_limit_reached",
      limit: 2,
      activeSessions: 2,
    });
  });
});
