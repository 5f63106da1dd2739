/**
 * The customer's account journey in a real browser through `npm start`'s stack (issue 17): the sandbox's
 * billing, PostgreSQL, Kubernetes API, operator, fake Cloud Workstations and mail catcher, as a person uses
 * them. The owner signs in by the magic link read from the mail catcher, invites a member, the member
 * accepts from the invitation mail (which signs them in), the owner assigns a seat and the workstation, the
 * member stops and starts it and sees "Open" once the operator reports it running, a container validated
 * with the license key and joined by the member shows on the sessions page, and when the owner unassigns
 * the member, the member's pages show the access gone. Screenshots of each page: .tmp/screenshots/journey-*.
 *
 * The license comes from the sandbox's admin path (POST /v1/admin/licenses: owner, organization, license
 * key, one workstation); sandbox/journey.e2e.test.ts covers the checkout path to a license.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Browser, Page } from "puppeteer-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { launchBrowser, openPage, screenshot, seriousAxeViolations } from "../test-support/browser/index.js";
import { pollUntil } from "./health.js";
import { type LaunchedSandbox, launchSandbox } from "./testing/launch.js";

const ORG = "acct-journey";
const OWNER = "owner@acct-journey.test";
const MEMBER = "member@acct-journey.test";
const WAIT = { timeoutMs: 90_000, intervalMs: 500 };
const STEP = 180_000;

interface CaughtEmail {
  id: string;
  subject: string;
  text: string;
  to: { address: string }[];
}

type InPage = {
  document: {
    querySelector(selector: string): { textContent: string | null; content?: string } | null;
  };
  fetch: typeof fetch;
};

describe("the account journey in a browser through npm start", () => {
  const work = mkdtempSync(join(tmpdir(), "coditect-account-journey-"));
  let sandbox: LaunchedSandbox;
  const browsers: Record<"owner" | "member", Browser | undefined> = { owner: undefined, member: undefined };
  const tabs: Partial<Record<"owner" | "member", Page>> = {};
  const journey: { licenseId?: string; licenseKey?: string; memberId?: string; workstation?: string } = {};

  beforeAll(async () => {
    sandbox = await launchSandbox({
      dataDir: join(work, "data"),
      env: {
        HOME: work,
        SESSIONS_HEARTBEAT_INTERVAL_SECONDS: "3",
        OPERATOR_OPERATION_POLL_MS: "200",
        OPERATOR_OBSERVE_INTERVAL_MS: "2000",
        SANDBOX_WORKSTATION_POLLS: "1",
      },
      extraArgs: ["--no-supply-chain"],
    });
    // One browser per person: their cookies must not mix.
    browsers.owner = await launchBrowser();
    browsers.member = await launchBrowser();
  }, 300_000);

  afterAll(async () => {
    await browsers.owner?.close();
    await browsers.member?.close();
    if (sandbox) {
      const code = await sandbox.stop();
      expect(code, sandbox.output()).toBe(0);
    }
    rmSync(work, { recursive: true, force: true });
  }, 90_000);

  const billing = () => sandbox.urls.billing;
  const orgPage = (name: string) => `${billing()}/account/organizations/${ORG}/${name}`;

  /** The person's tab (one per person, reused so the session cookie stays), at `url`. */
  async function visit(who: "owner" | "member", url: string): Promise<Page> {
    if (!tabs[who]) tabs[who] = (await openPage(browsers[who]!)).page;
    const page = tabs[who]!;
    const response = await page.goto(url, { waitUntil: "load" });
    expect(response?.status(), url).toBeLessThan(400);
    return page;
  }

  /** Screenshot plus the accessibility check, for every page of the journey. */
  async function record(page: Page, name: string) {
    await screenshot(page, `journey-${name}`);
    expect(await seriousAxeViolations(page), name).toEqual([]);
  }

  const text = (page: Page, selector: string) => page.$eval(selector, (el) => el.textContent ?? "");
  const waitForText = (page: Page, selector: string, expected: string) =>
    page.waitForFunction(
      (sel: string, want: string) =>
        (globalThis as unknown as InPage).document.querySelector(sel)?.textContent === want,
      { timeout: WAIT.timeoutMs },
      selector,
      expected,
    );
  /** Submits a data-api form and waits for the page reload account.js does on success. */
  const submitAndReload = (page: Page, button: string) =>
    Promise.all([page.waitForNavigation({ waitUntil: "load" }), page.click(button)]);

  /** The one-time link of the newest mail to `to` whose subject matches, from maildev's REST API. */
  async function linkFromMail(to: string, subject: RegExp, path: string): Promise<string> {
    let link: string | undefined;
    await pollUntil(
      `a "${subject.source}" mail to ${to} in the mail catcher`,
      async () => {
        const inbox = (await (await fetch(`${sandbox.urls.mail}/api/email`)).json()) as CaughtEmail[];
        const mail = inbox
          .filter((m) => m.to.some((t) => t.address === to) && subject.test(m.subject))
          .at(-1);
        link = mail && new RegExp(`${billing()}${path}\\?token=[A-Za-z0-9_-]+`).exec(mail.text)?.[0];
        return link !== undefined;
      },
      { timeoutMs: 60_000, intervalMs: 500 },
    );
    return link!;
  }

  it(
    "an admin creates the organization's license with a workstation (the owner's welcome mail follows)",
    async () => {
      const res = await fetch(`${billing()}/v1/admin/licenses`, {
        method: "POST",
        headers: { authorization: `Bearer ${sandbox.adminToken}`, "content-type": "application/json" },
        body: JSON.stringify({
          organization: ORG,
          customerEmail: OWNER,
          tier: "pro",
          provisioningType: "pilot",
          durationDays: 30,
          seats: 2,
          workstations: 1,
          workstationTier: "standard",
        }),
      });
      expect(res.status).toBe(201);
      const body = (await res.json()) as { licenseKey: string; license: { id: string } };
      journey.licenseKey = body.licenseKey;
      journey.licenseId = body.license.id;
    },
    STEP,
  );

  it(
    "the owner signs in with the magic link from the mail catcher",
    async () => {
      const page = await visit("owner", `${billing()}/account/sign-in`);
      await record(page, "sign-in");
      await page.type("#email", OWNER);
      await page.click("form[data-api] button[type=submit]");
      await page.waitForSelector("#check-mail:not([hidden])");
      await record(page, "sign-in-check-mail");
      const link = await linkFromMail(OWNER, /^Sign in to/, "/account/sign-in/verify");
      await visit("owner", link);
      await record(page, "sign-in-verify");
      await Promise.all([
        page.waitForNavigation({ waitUntil: "load" }),
        page.click("main button[type=submit]"),
      ]);
      expect(new URL(page.url()).pathname).toBe("/account/");
      expect(await text(page, "main")).toContain(ORG);
      await record(page, "home-owner");
    },
    STEP,
  );

  it(
    "the owner invites a member, who accepts from the invitation mail and is signed in",
    async () => {
      const owner = tabs.owner!;
      // The members page (W8, issue 17) sends this form; here the same JSON API call from the owner's page,
      // with the session cookie and the page's CSRF token as account.js sends them.
      const invited = await owner.evaluate(
        async (org: string, email: string) => {
          const inPage = globalThis as unknown as InPage;
          const csrf = inPage.document.querySelector('meta[name="csrf-token"]')?.content ?? "";
          const response = await inPage.fetch(`/v1/account/organizations/${org}/invitations`, {
            method: "POST",
            headers: { "content-type": "application/json", "x-csrf-token": csrf },
            body: JSON.stringify({ email, role: "member" }),
          });
          return response.status;
        },
        ORG,
        MEMBER,
      );
      expect(invited).toBe(201);
      const link = await linkFromMail(MEMBER, /invit/i, "/account/invitations/accept");
      const member = await visit("member", link);
      await record(member, "invitation-accept");
      await Promise.all([
        member.waitForNavigation({ waitUntil: "load" }),
        member.click("main button[type=submit]"),
      ]);
      expect(new URL(member.url()).pathname).toBe("/account/");
      expect(await text(member, ".who")).toContain(MEMBER);
      expect(await text(member, "main")).toContain(ORG);
      await record(member, "home-member");
    },
    STEP,
  );

  it(
    "the owner assigns the member a seat and the workstation",
    async () => {
      const seats = await visit("owner", orgPage("seats"));
      const section = `section[data-license="${journey.licenseId}"]`;
      journey.memberId = await seats.$eval(
        `${section} select[name=userId]`,
        (select, email) =>
          [...(select as unknown as { options: { value: string; textContent: string }[] }).options].find(
            (o) => o.textContent.startsWith(email as string),
          )?.value ?? "",
        MEMBER,
      );
      expect(journey.memberId).toMatch(/^[0-9a-f-]{36}$/);
      await seats.select(`${section} select[name=userId]`, journey.memberId);
      await submitAndReload(seats, `${section} .assign-form button[type=submit]`);
      expect(await text(seats, `${section} table`)).toContain(MEMBER);
      await record(seats, "seats-owner");

      const workstations = await visit("owner", orgPage("workstations"));
      journey.workstation = await workstations.$eval(
        "tr[data-workstation]",
        (tr) => tr.getAttribute("data-workstation") ?? "",
      );
      const row = `tr[data-workstation="${journey.workstation}"]`;
      await workstations.select(`${row} select[name=userId]`, journey.memberId);
      await submitAndReload(workstations, `${row} form[data-api$="/assign"] button`);
      expect(await text(workstations, row)).toContain(MEMBER);
      await record(workstations, "workstations-owner");
    },
    STEP,
  );

  it(
    "the member stops and starts the workstation and sees Open once the operator reports it running",
    async () => {
      const page = await visit("member", orgPage("workstations"));
      const row = `tr[data-workstation="${journey.workstation}"]`;
      await submitAndReload(page, `${row} form[data-api$="/stop"] button`);
      await waitForText(page, `${row} [data-field=state]`, "Stopped");
      expect(await text(page, `${row} [data-field=access]`)).toBe("—");
      await record(page, "workstations-member-stopped");
      await submitAndReload(page, `${row} form[data-api$="/start"] button`);
      await screenshot(page, "journey-workstations-member-starting");
      // The page polls the API while the state moves; the operator reports Running with the access URL.
      await waitForText(page, `${row} [data-field=state]`, "Running");
      const href = await page.$eval(`${row} [data-field=access] a`, (a) => a.getAttribute("href"));
      expect(href).toMatch(/^https:\/\//);
      await record(page, "workstations-member-running");
    },
    STEP,
  );

  it(
    "a container validated with the license key and joined by the member appears on the sessions page",
    async () => {
      const validated = await fetch(`${billing()}/v1/sessions/validate`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({
          licenseKey: journey.licenseKey,
          containerId: "acct-journey-box",
          containerType: "docker",
          hostname: "box.acct-journey.test",
          maxUsers: 3,
        }),
      });
      expect(validated.status).toBe(201);
      const { sessionToken } = (await validated.json()) as { sessionToken: string };
      const joined = await fetch(`${billing()}/v1/sessions/users/join`, {
        method: "POST",
        headers: { "content-type": "application/json", authorization: `Bearer ${sessionToken}` },
        body: JSON.stringify({ user: MEMBER }),
      });
      expect(joined.status, await joined.clone().text()).toBe(200);
      const page = await visit("member", orgPage("sessions"));
      const row = "tr[data-session]:has(code)";
      expect(await text(page, row)).toContain("acct-journey-box");
      expect(await text(page, row)).toContain("box.acct-journey.test");
      expect(await text(page, row)).toContain(MEMBER);
      expect(Number(await text(page, "[data-field=live-count]"))).toBeGreaterThanOrEqual(1);
      await record(page, "sessions-member");
    },
    STEP,
  );

  it(
    "the owner unassigns the member's seat, and the member's pages show the access gone",
    async () => {
      const seats = await visit("owner", orgPage("seats"));
      await submitAndReload(seats, `tr[data-user="${journey.memberId}"] button[type=submit]`);
      expect(await text(seats, `section[data-license="${journey.licenseId}"]`)).not.toContain(
        `${MEMBER}Assigned`,
      );
      expect(await seats.$(`tr[data-user="${journey.memberId}"]`)).toBeNull();
      await record(seats, "seats-owner-unassigned");

      const workstations = await visit("member", orgPage("workstations"));
      const row = `tr[data-workstation="${journey.workstation}"]`;
      expect(await text(workstations, row)).not.toContain(MEMBER);
      expect(await workstations.$(`${row} [data-field=access] a`)).toBeNull();
      expect(
        await workstations.$(`${row} form[data-api$="/stop"], ${row} form[data-api$="/start"]`),
      ).toBeNull();
      await record(workstations, "workstations-member-access-gone");

      const sessions = await visit("member", orgPage("sessions"));
      expect(await text(sessions, "tbody[data-field=sessions]")).not.toContain(MEMBER);
      await record(sessions, "sessions-member-after-unassign");
    },
    STEP,
  );
});
