/**
 * Issue 12 §6: a NUL character in any free-text field is a 400 naming the field (one rule for every string
 * a request carries), never a 500 from PostgreSQL, and changes nothing.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type BillingHarness, startBillingHarness } from "../testing/harness.js";
import { findNulCharacter } from "./nul-characters.js";

const NUL = "\u0000";

describe("NUL characters in requests", () => {
  let h: BillingHarness;
  let licenseId: string;
  let licenseKey: string;
  beforeAll(async () => {
    h = await startBillingHarness();
    const res = await h.admin("POST", "/licenses", {
      organization: "nul-co",
      customerEmail: "ops@nul.test",
      tier: "pro",
      provisioningType: "internal",
    });
    const created = (await res.json()) as { license: { id: string }; licenseKey: string };
    licenseId = created.license.id;
    licenseKey = created.licenseKey;
  });
  afterAll(() => h.stop());

  const snapshot = async () =>
    (
      await h.pool.query(
        `SELECT (SELECT count(*) FROM licenses)::int AS licenses, (SELECT count(*) FROM audit_events)::int AS audits,
                (SELECT count(*) FROM container_sessions)::int AS sessions,
                (SELECT max(updated_at) FROM licenses) AS updated`,
      )
    ).rows[0];

  const cases: [string, () => Promise<Response>, string][] = [
    [
      "validate hostname",
      () =>
        fetch(`${h.url}/v1/sessions/validate`, {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: JSON.stringify({
            licenseKey,
            containerId: "c-1",
            containerType: "docker",
            hostname: `h${NUL}`,
          }),
        }),
      "hostname",
    ],
    [
      "admin notes",
      () =>
        h.admin("POST", "/licenses", {
          organization: "nul-co",
          customerEmail: "ops@nul.test",
          tier: "pro",
          provisioningType: "internal",
          notes: `a${NUL}b`,
        }),
      "notes",
    ],
    ...(["revoke", "suspend", "reinstate", "rotate-key"] as const).map(
      (action): [string, () => Promise<Response>, string] => [
        `${action} reason`,
        () => h.admin("POST", `/licenses/${licenseId}/${action}`, { reason: `why${NUL}` }),
        "reason",
      ],
    ),
    [
      "extend reason",
      () => h.admin("POST", `/licenses/${licenseId}/extend`, { days: 1, reason: NUL }),
      "reason",
    ],
    [
      "overrides reason",
      () => h.admin("PATCH", `/licenses/${licenseId}/overrides`, { seats: 2, reason: `x${NUL}` }),
      "reason",
    ],
    ["purge reason", () => h.admin("DELETE", `/licenses/${licenseId}`, { reason: `x${NUL}` }), "reason"],
    ["audit filter action", () => h.admin("GET", `/audit-events?action=license.${NUL}x&limit=5`), "action"],
    [
      "audit filter actor",
      () => h.admin("GET", `/audit-events?actor=${encodeURIComponent(`admin${NUL}`)}`),
      "actor",
    ],
    [
      "license filter customerEmail",
      () => h.admin("GET", `/licenses?customerEmail=${encodeURIComponent(`a${NUL}@b.test`)}`),
      "customerEmail",
    ],
    [
      "checkout item product",
      () =>
        fetch(`${h.url}/v1/checkout`, {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: JSON.stringify({
            organization: "nul-co",
            customerEmail: "ops@nul.test",
            items: [{ product: `pro${NUL}`, quantity: 1 }],
          }),
        }),
      "items.0.product",
    ],
    [
      "a key of the body",
      () => h.admin("POST", `/licenses/${licenseId}/revoke`, { reason: "ok", [`x${NUL}`]: 1 }),
      '"x\\u0000" (a key)',
    ],
  ];

  it.each(cases)("%s → 400 naming the field, nothing changed", async (_name, send, field) => {
    const before = await snapshot();
    const res = await send();
    expect(res.status).toBe(400);
    expect(await res.json()).toEqual({
      error: { code: "invalid_request", message: `${field}: must not contain the NUL character (\\u0000)` },
    });
    expect(await snapshot()).toEqual(before);
  });

  it("finds NUL at any depth without recursion", () => {
    let deep: unknown = `x${NUL}`;
    for (let i = 0; i < 100_000; i++) deep = [deep];
    expect(findNulCharacter(deep, "")).toBe(`${"0.".repeat(100_000 - 1)}0`);
    expect(findNulCharacter({ a: [{ b: "fine" }, { c: `${NUL}` }] }, "")).toBe("a.1.c");
    expect(findNulCharacter({ a: "fine", n: 1, z: null }, "")).toBeUndefined();
  });
});
