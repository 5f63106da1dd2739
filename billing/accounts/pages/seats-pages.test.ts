/**
 * The seat, workstation and container-session pages over HTTP through the real app and real PostgreSQL:
 * who may open them (viewer+; an outsider gets the API's 404 as an HTML page; nobody signed in goes to
 * sign-in), what each role is offered (the controls the API would accept, no more), values escaped, and
 * the pure rules of the workstation state words.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type BillingHarness, startBillingHarness } from "../../testing/harness.js";
import { callAs, grantLicense } from "../seats/testing.js";
import { PEOPLE, type Person, type TestOrganization, testOrganization } from "../testing/organization.js";
import { PAGE_CSP } from "./page-headers.js";
import { inProgress, isWebUrl, stateWords } from "./workstations-page.js";

let h: BillingHarness;
let org: TestOrganization;
let license: { id: string; workstations: string[] };
beforeAll(async () => {
  h = await startBillingHarness();
  org = await testOrganization(h.pool, "seatpages", h.clock.now());
  license = await grantLicense(h.pool, h.clock.now(), { organization: org.slug, seats: 3, workstations: 1 });
});
afterAll(async () => {
  await h?.stop();
});

const page = async (who: Person | undefined, name: string) => {
  const res = await fetch(`${h.url}/account/organizations/${org.slug}/${name}`, {
    headers: who ? { cookie: org.people[who].cookie } : {},
    redirect: "manual",
  });
  return { status: res.status, headers: res.headers, text: await res.text() };
};
const PAGES = ["seats", "workstations", "sessions"] as const;

describe("who may open the pages", () => {
  it("every member role reads all three pages under the pages' CSP; an outsider gets an HTML 404", async () => {
    for (const name of PAGES) {
      for (const who of PEOPLE) {
        const res = await page(who, name);
        expect(res.status, `${who} ${name}`).toBe(who === "outsider" ? 404 : 200);
        expect(res.headers.get("content-type"), `${who} ${name}`).toMatch(/^text\/html/);
        expect(res.headers.get("content-security-policy")).toBe(PAGE_CSP);
      }
      const outsider = await page("outsider", name);
      expect(outsider.text).toContain("you are not a member of organization &quot;seatpages&quot;");
      expect(outsider.text).not.toContain("owner@seatpages.test");
    }
  });

  it("sends a person who is not signed in to the sign-in page", async () => {
    for (const name of PAGES) {
      const res = await page(undefined, name);
      expect([res.status, res.headers.get("location")]).toEqual([303, "/account/sign-in"]);
    }
  });

  it("answers an unknown organization like one the person does not belong to (no probing)", async () => {
    const res = await fetch(`${h.url}/account/organizations/no-such-org/seats`, {
      headers: { cookie: org.people.owner.cookie },
    });
    expect(res.status).toBe(404);
    expect(await res.text()).toContain("you are not a member of organization &quot;no-such-org&quot;");
  });
});

describe("what each role is offered", () => {
  it("seats: admin and owner get assign and unassign; member and viewer only read", async () => {
    const seat = await callAs(
      h.url,
      org.people.admin,
      "POST",
      `/organizations/${org.slug}/licenses/${license.id}/seats`,
      {
        userId: org.people.member.userId,
      },
    );
    expect(seat.status).toBe(201);
    for (const who of ["owner", "admin", "member", "viewer"] as const) {
      const { text } = await page(who, "seats");
      expect(text, who).toContain("member@seatpages.test");
      expect(text, who).toMatch(/1<\/span> of <span data-field="total">3<\/span> seats used/);
      const manage = who === "owner" || who === "admin";
      expect(
        text.includes(`data-api="/v1/account/organizations/seatpages/licenses/${license.id}/seats"`),
        who,
      ).toBe(manage);
      expect(text.includes('data-method="DELETE"'), who).toBe(manage);
    }
    // The assign select offers the members who hold no seat yet.
    const { text } = await page("owner", "seats");
    const select = /<select[^>]*name="userId"[\s\S]*?<\/select>/.exec(text)![0];
    expect(select).not.toContain("member@seatpages.test");
    expect(select).toContain("viewer@seatpages.test");
  });

  it("workstations: admin+ assign; the assignee (member) starts and stops their own; a viewer nothing", async () => {
    const ws = license.workstations[0]!;
    const assigned = await callAs(
      h.url,
      org.people.owner,
      "POST",
      `/organizations/${org.slug}/workstations/${ws}/assign`,
      {
        userId: org.people.member.userId,
      },
    );
    expect(assigned.status).toBe(200);
    const powerApi = `data-api="/v1/account/organizations/seatpages/workstations/${ws}/stop"`;
    const assignApi = `data-api="/v1/account/organizations/seatpages/workstations/${ws}/assign"`;
    const expected: Record<string, [boolean, boolean]> = {
      owner: [true, true],
      admin: [true, true],
      member: [true, false],
      viewer: [false, false],
    };
    for (const [who, [power, assign]] of Object.entries(expected)) {
      const { text } = await page(who as Person, "workstations");
      expect(text, who).toContain(`data-workstation="${ws}"`);
      expect([text.includes(powerApi), text.includes(assignApi)], who).toEqual([power, assign]);
      // No cluster in this harness: the page says so instead of guessing a state.
      expect(text, who).toContain("Unknown (the cluster could not be read)");
      expect(text, who).not.toContain("data-polling");
    }
    // A member who is not the assignee is not offered start/stop (the API refuses it with 403).
    const other = await callAs(
      h.url,
      org.people.owner,
      "POST",
      `/organizations/${org.slug}/workstations/${ws}/assign`,
      {
        userId: org.people.admin.userId,
      },
    );
    expect(other.status).toBe(200);
    expect((await page("member", "workstations")).text).not.toContain(powerApi);
  });

  it("sessions: the live count and no session yet", async () => {
    const { text } = await page("viewer", "sessions");
    expect(text).toContain('<span data-field="live-count">0</span>');
    expect(text).toContain("No container session is active.");
    expect(text).toContain('data-refresh="/v1/account/organizations/seatpages/container-sessions"');
  });
});

describe("escaping and links", () => {
  it("escapes what people and containers named themselves", async () => {
    const key = (await grantLicense(h.pool, h.clock.now(), { organization: org.slug, seats: 1 })).key;
    const v = await fetch(`${h.url}/v1/sessions/validate`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({
        licenseKey: key,
        containerId: "box-1",
        containerType: "docker",
        hostname: "<img src=x onerror=alert(1)>",
      }),
    });
    expect(v.status).toBe(201);
    const { text } = await page("member", "sessions");
    expect(text).toContain("&lt;img src=x onerror=alert(1)&gt;");
    expect(text).not.toContain("<img src=x");
    expect(text).toContain('<span data-field="live-count">1</span>');
  });

  it("links only web addresses and words the states the way account.js does", () => {
    expect(isWebUrl("https://ws.example.test/")).toBe(true);
    expect(isWebUrl("javascript:alert(1)")).toBe(false);
    expect(isWebUrl(null)).toBe(false);
    expect(stateWords({ state: "Stopped", desiredState: "Running" }, true)).toBe("Stopped, starting…");
    expect(stateWords({ state: "unknown", desiredState: "Stopped" }, true)).toBe(
      "Waiting for the operator, stopping…",
    );
    expect(stateWords({ state: "Running", desiredState: "Running" }, true)).toBe("Running");
    expect(stateWords({ state: "Running", desiredState: "Stopped" }, false)).toBe(
      "Unknown (the cluster could not be read)",
    );
    expect(inProgress({ state: "Stopped", desiredState: "Running" }, true)).toBe(true);
    expect(inProgress({ state: "Stopped", desiredState: "Running" }, false)).toBe(false);
  });
});
