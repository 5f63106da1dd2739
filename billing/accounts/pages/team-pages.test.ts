/**
 * The organization pages (overview, members and invitations, license key, Docker access) over HTTP through
 * the real app and PostgreSQL: what each role sees and which controls it gets (the team API's rules), 404
 * pages for outsiders and other organizations' licenses, no key in any page, and escaping of stored values.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type BillingHarness, startBillingHarness } from "../../testing/harness.js";
import { call } from "../testing/client.js";
import { type Team, testOrganization } from "../testing/organization.js";
import { signInForTest } from "../testing/sign-in.js";
import { PAGE_CSP } from "./page-headers.js";

let h: BillingHarness;
let team: Team;
let pro: { id: string; key: string };
let starter: { id: string; key: string };
let elsewhere: { id: string };
const ORG = "tp";
const ROLES = ["owner", "admin", "member", "viewer"] as const;

const grant = async (body: Record<string, unknown>) => {
  const res = await h.admin("POST", "/licenses", { provisioningType: "pilot", ...body });
  if (res.status !== 201) throw new Error(`admin create: ${res.status} ${await res.text()}`);
  const json = (await res.json()) as { license: { id: string }; licenseKey: string };
  return { id: json.license.id, key: json.licenseKey };
};

const page = async (path: string, cookie?: string) => {
  const res = await fetch(`${h.url}${path}`, { headers: cookie ? { cookie } : {}, redirect: "manual" });
  return { status: res.status, headers: res.headers, body: await res.text() };
};

beforeAll(async () => {
  h = await startBillingHarness();
  team = (await testOrganization(h.pool, ORG, h.clock.now())).people;
  pro = await grant({
    organization: ORG,
    customerEmail: "owner@tp.test",
    tier: "pro",
    durationDays: 5,
    seats: 3,
  });
  starter = await grant({
    organization: ORG,
    customerEmail: "owner@tp.test",
    tier: "starter",
    durationDays: 90,
  });
  expect((await h.admin("POST", `/licenses/${starter.id}/suspend`, { reason: "test" })).status).toBe(200);
  elsewhere = await grant({
    organization: `${ORG}-other`,
    customerEmail: team.outsider.email,
    tier: "pro",
    durationDays: 30,
  });
  await h.pool.query(
    "INSERT INTO seat_assignments (license_id, user_id, assigned_by, assigned_at) VALUES ($1, $2, 'test', $3)",
    [pro.id, team.member.userId, h.clock.now()],
  );
  const invited = await call(h, "POST", `/organizations/${ORG}/invitations`, {
    as: team.owner,
    body: { email: "new.person@tp.test", role: "viewer" },
  });
  expect(invited.status).toBe(201);
});
afterAll(() => h.stop());

describe("organization pages: who may open them", () => {
  const paths = () => [
    `/account/organizations/${ORG}`,
    `/account/organizations/${ORG}/members`,
    `/account/organizations/${ORG}/docker`,
    `/account/organizations/${ORG}/licenses/${pro.id}/key`,
  ];

  it("every role of the organization opens every page, under the pages' CSP and no-store", async () => {
    for (const role of ROLES) {
      for (const path of paths()) {
        const res = await page(path, team[role].cookie);
        expect(res.status, `${role} ${path}`).toBe(200);
        expect(res.headers.get("content-security-policy")).toBe(PAGE_CSP);
        expect(res.headers.get("cache-control")).toBe("no-store");
        expect(res.body).toContain('aria-label="Organization tp"');
      }
    }
  });

  it("an outsider gets the 404 page (as the API answers), a signed-out visitor the sign-in page", async () => {
    for (const path of paths()) {
      const outsider = await page(path, team.outsider.cookie);
      expect(outsider.status, path).toBe(404);
      expect(outsider.body).toContain("does not exist, or you are not a member of it");
      expect(outsider.body).not.toContain("Pro license");
      const anonymous = await page(path);
      expect(anonymous.status).toBe(303);
      expect(anonymous.headers.get("location")).toBe("/account/sign-in");
    }
  });

  it("a license of another organization, or a malformed license id, is a 404 page", async () => {
    for (const id of [elsewhere.id, "not-a-uuid", "00000000-0000-0000-0000-000000000000"]) {
      const res = await page(`/account/organizations/${ORG}/licenses/${id}/key`, team.owner.cookie);
      expect(res.status, id).toBe(404);
      expect(res.body).not.toContain(elsewhere.id);
    }
  });

  it("the home page links each organization to its overview", async () => {
    const home = await page("/account/", team.viewer.cookie);
    expect(home.body).toContain(`<a href="/account/organizations/${ORG}"><code>${ORG}</code></a>`);
  });
});

describe("overview page", () => {
  it("shows each license's state in words, tier, expiry, seats, containers and warnings", async () => {
    const { body } = await page(`/account/organizations/${ORG}`, team.viewer.cookie);
    expect(body).toContain("Pro license");
    expect(body).toContain("You are a viewer of <strong>tp</strong>.");
    expect(body).toMatch(/state-active">Active<\/span>: granted by Coditect/);
    expect(body).toContain("1 of 3 in use");
    expect(body).toContain("0 in use of 5");
    expect(body).toMatch(
      /The license expires soon, on <time datetime="2026-06-06T00:00:00.000Z">2026-06-06 00:00 UTC/,
    );
    expect(body).toContain("Starter license");
    expect(body).toMatch(/state-suspended">Suspended<\/span>: suspended by Coditect/);
    expect(body).toContain("The license is suspended: suspended by Coditect.");
    expect(body).toContain(`href="/account/organizations/${ORG}/licenses/${pro.id}/key"`);
  });

  it("offers the billing portal to the owner and admins only (the API's rule)", async () => {
    for (const role of ROLES) {
      const { body } = await page(`/account/organizations/${ORG}`, team[role].cookie);
      const offered = body.includes(`data-api="/v1/account/organizations/${ORG}/billing-portal"`);
      expect(offered, role).toBe(role === "owner" || role === "admin");
      if (!offered) expect(body).toContain("The owner and admins of tp manage payment methods");
      else expect(body).toContain(">Invoices</button>");
    }
  });

  it("says so when a past-due license's access ends", async () => {
    await h.pool.query(
      "UPDATE licenses SET state = 'pastDue', state_reason = 'PaymentFailed', grace_ends_at = $2 WHERE id = $1",
      [starter.id, new Date("2026-06-10T12:00:00Z")],
    );
    try {
      const { body } = await page(`/account/organizations/${ORG}`, team.member.cookie);
      expect(body).toMatch(
        /A payment failed\. Access continues until <time datetime="2026-06-10T12:00:00.000Z">/,
      );
      expect(body).toContain("Past due</span>: a payment failed");
    } finally {
      await h.pool.query(
        "UPDATE licenses SET state = 'suspended', state_reason = 'AdminSuspended', grace_ends_at = NULL WHERE id = $1",
        [starter.id],
      );
    }
  });
});

describe("members page", () => {
  const forms = (body: string) =>
    [...body.matchAll(/data-api="([^"]+)"(?: data-method="(\w+)")?/g)].map(
      (m) => `${m[2] ?? "POST"} ${m[1]}`,
    );
  const api = `/v1/account/organizations/${ORG}`;

  it("lists members with roles for every role; viewers and members get no controls and no invitations", async () => {
    for (const role of ["viewer", "member"] as const) {
      const { body } = await page(`/account/organizations/${ORG}/members`, team[role].cookie);
      for (const who of ROLES) expect(body, `${role} sees ${who}`).toContain(team[who].email);
      expect(body).toMatch(/admin@tp\.test<\/th><td data-label="Role">Admin/);
      expect(forms(body).filter((f) => f.includes(api))).toEqual([]);
      expect(body).not.toContain("new.person@tp.test");
      expect(body).toContain("The owner and admins invite people");
    }
  });

  it("gives an admin what the team rules allow an admin: members and viewers, never the owner or an admin", async () => {
    const { body } = await page(`/account/organizations/${ORG}/members`, team.admin.cookie);
    const sent = forms(body);
    for (const who of ["member", "viewer"] as const) {
      expect(sent).toContain(`PATCH ${api}/members/${team[who].userId}`);
      expect(sent).toContain(`DELETE ${api}/members/${team[who].userId}`);
    }
    for (const who of ["owner", "admin"] as const) {
      expect(
        sent.some((f) => f.includes(team[who].userId)),
        who,
      ).toBe(false);
    }
    expect(sent).toContain(`POST ${api}/invitations`);
    // An admin may not grant admin: no such option anywhere on the page.
    expect(body).not.toContain('<option value="admin"');
    expect(body).toContain("new.person@tp.test");
    const invitation = /invitations\/([0-9a-f-]{36})\/resend/.exec(body)?.[1];
    expect(invitation).toBeDefined();
    expect(sent).toContain(`DELETE ${api}/invitations/${invitation}`);
    expect(body).toContain(
      'data-confirm="Revoke the invitation to new.person@tp.test? Its link stops working."',
    );
  });

  it("gives the owner the admin role to grant and the admin to manage, but never the owner's own row", async () => {
    const { body } = await page(`/account/organizations/${ORG}/members`, team.owner.cookie);
    const sent = forms(body);
    expect(sent).toContain(`PATCH ${api}/members/${team.admin.userId}`);
    expect(sent).toContain(`DELETE ${api}/members/${team.admin.userId}`);
    expect(sent.some((f) => f.includes(team.owner.userId))).toBe(false);
    expect(body).toContain('<option value="admin"');
  });

  it("shows an invitation that is no longer pending without controls", async () => {
    const made = await call(h, "POST", `/organizations/${ORG}/invitations`, {
      as: team.owner,
      body: { email: "gone@tp.test", role: "member" },
    });
    const id = made.body.invitation.id as string;
    expect(
      (await call(h, "DELETE", `/organizations/${ORG}/invitations/${id}`, { as: team.owner })).status,
    ).toBe(200);
    const { body } = await page(`/account/organizations/${ORG}/members`, team.owner.cookie);
    expect(body).toMatch(
      /gone@tp\.test<\/th><td data-label="Role">Member<\/td><td data-label="State">Revoked/,
    );
    expect(body).not.toContain(`invitations/${id}`);
  });
});

describe("license key page", () => {
  it("explains the one-time semantics to everyone and offers rotation to the owner only", async () => {
    for (const role of ROLES) {
      const { body } = await page(`/account/organizations/${ORG}/licenses/${pro.id}/key`, team[role].cookie);
      expect(body).toContain(
        "nobody — not you, not an admin, not CODITECT support — can show an existing key",
      );
      const rotate = body.includes(
        `data-api="/v1/account/organizations/${ORG}/licenses/${pro.id}/rotate-key"`,
      );
      expect(rotate, role).toBe(role === "owner");
      if (!rotate) expect(body).toContain("Only the owner of tp can rotate the key");
      else expect(body).toContain('data-success="reveal:new-key"');
      // The key page is not in the organization's navigation: no link claims to be the current page.
      expect(body).not.toContain('aria-current="page"');
      expect(body).not.toContain(pro.key);
    }
  });
});

describe("Docker access page", () => {
  it("says when this server issues no registry credentials", async () => {
    const { body } = await page(`/account/organizations/${ORG}/docker`, team.member.cookie);
    expect(body).toContain("This server does not issue registry credentials");
  });

  it("shows the helper and token commands for this server's registry and the organization's tiers", async () => {
    const saved = h.deps.config.registry;
    h.deps.config.registry = {
      kind: "docker-token",
      registry: "registry.example.test:5000",
      repositoryPrefix: "acme-prod/",
      issuer: "i",
      service: "s",
      keyFile: "k",
      certsFile: "c",
      lifetimeSeconds: 300,
    };
    try {
      const { body } = await page(`/account/organizations/${ORG}/docker`, team.member.cookie);
      expect(body).toContain("<code>registry.example.test:5000/acme-prod/coditect-images</code>");
      expect(body).not.toContain("coditect-enterprise");
      expect(body).toContain(
        "{ &quot;credHelpers&quot;: { &quot;registry.example.test:5000&quot;: &quot;coditect&quot; } }",
      );
      expect(body).toContain(`${h.deps.config.publicBaseUrl}/v1/registry/token`);
      expect(body).toContain('data-copy="cmd-token" aria-describedby="cmd-token-label" hidden');
      expect(body).not.toContain(pro.key);
      const other = await signInForTest(h.pool, "solo@tp-starter.test", h.clock.now(), {
        organization: "tp-starter",
        role: "owner",
      });
      await grant({
        organization: "tp-starter",
        customerEmail: other.email,
        tier: "starter",
        durationDays: 30,
      });
      const starterOnly = await page("/account/organizations/tp-starter/docker", other.cookie);
      expect(starterOnly.body).toContain("do not include the licensed container\nimages (Starter)");
    } finally {
      h.deps.config.registry = saved;
    }
  });
});

describe("escaping", () => {
  it("escapes a stored email on the members page and the organization in a 404 page", async () => {
    await signInForTest(h.pool, `o'hara+<i>x</i>"@tp.test`, h.clock.now(), {
      organization: ORG,
      role: "viewer",
    });
    const { body } = await page(`/account/organizations/${ORG}/members`, team.owner.cookie);
    expect(body).toContain("o&#39;hara+&lt;i&gt;x&lt;/i&gt;&quot;@tp.test");
    expect(body).not.toContain("<i>x</i>");
    const missing = await page(`/account/organizations/${encodeURIComponent("<b>x</b>")}`, team.owner.cookie);
    expect(missing.status).toBe(404);
    expect(missing.body).toContain("&lt;b&gt;x&lt;/b&gt;");
    expect(missing.body).not.toContain("<b>x</b>");
  });
});
