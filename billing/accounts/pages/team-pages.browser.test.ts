/**
 * The organization pages in a real browser (chromium through puppeteer-core, test-support/browser): the
 * overview, members, license key and Docker pages render under the strict CSP with no serious axe-core
 * violation at laptop and phone width (screenshots in .tmp/screenshots/), and one flow per page goes through
 * the real API: invite → the invitation shows as pending (and a refused one shows its message next to the
 * button), rotate → the new key is shown once and works, billing → the browser lands on the fake Stripe's
 * portal URL (and an organization without a Stripe customer reads why not), copy buttons copy.
 */
import type { Browser, HTTPRequest, Page } from "puppeteer-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  type AccountPagesBrowser,
  checkPage,
  startAccountPagesBrowser,
  type Viewport,
  type VisitedPage,
} from "../../../test-support/browser/account-pages.js";
import { screenshot, seriousAxeViolations } from "../../../test-support/browser/index.js";
import { hashLicenseKey } from "../../licenses/keys.js";
import { type BillingHarness, eventsById } from "../../testing/harness.js";
import { type Team, testOrganization } from "../testing/organization.js";
import { signInForTest, type TestAccount } from "../testing/sign-in.js";

let pages: AccountPagesBrowser;
let h: BillingHarness;
let browser: Browser;
let team: Team;
let license: { id: string; key: string };
const ORG = "tb";

beforeAll(async () => {
  pages = await startAccountPagesBrowser();
  ({ h, browser } = pages);
  h.deps.config.registry = {
    kind: "docker-token",
    registry: "127.0.0.1:5000",
    repositoryPrefix: "",
    issuer: "sandbox",
    service: "sandbox-registry",
    keyFile: "unused",
    certsFile: "unused",
    lifetimeSeconds: 300,
  };
  team = (await testOrganization(h.pool, ORG, h.clock.now())).people;
  const res = await h.admin("POST", "/licenses", {
    organization: ORG,
    customerEmail: team.owner.email,
    provisioningType: "pilot",
    tier: "pro",
    durationDays: 5,
    seats: 3,
  });
  expect(res.status).toBe(201);
  const json = (await res.json()) as { license: { id: string }; licenseKey: string };
  license = { id: json.license.id, key: json.licenseKey };
});
afterAll(async () => {
  await pages?.stop();
});

const signedInAs = (account: TestAccount) => pages.useSession(account.cookie);

async function visit(path: string, viewport: Viewport = "laptop"): Promise<VisitedPage> {
  const tab = await pages.visit(path, viewport);
  expect(tab.status, path).toBe(200);
  return tab;
}

const text = (page: Page, selector: string) => page.$eval(selector, (el) => el.textContent ?? "");
const visibleError = (page: Page, selector: string) =>
  page
    .waitForSelector(`${selector} .form-error:not([hidden])`)
    .then(() => text(page, `${selector} .form-error`));

/** Clicks `button` and returns the API request its form sent and the API's status and JSON answer. */
async function submitAndCapture(page: Page, button: string, api: string) {
  const requestSent = page.waitForRequest((r: HTTPRequest) => r.url().endsWith(api));
  const answered = page.waitForResponse((r) => r.url().endsWith(api));
  await page.click(button);
  const request = await requestSent;
  const response = await answered;
  // A success that reloads or leaves the page takes the response body with it: then only the status counts.
  const body = await response.text().catch(() => "");
  return { request, status: response.status(), body: body ? JSON.parse(body) : undefined };
}

/** Clipboard access for the copy buttons' check; the tab must be in front (focused) to write to it. */
async function allowClipboard(page: Page): Promise<void> {
  await browser
    .defaultBrowserContext()
    .overridePermissions(h.url, ["clipboard-read", "clipboard-write", "clipboard-sanitized-write"]);
  await page.bringToFront();
}

const SLOW = { timeout: 180_000 };
const pagesOf = () =>
  [
    ["", "org-overview"],
    ["/members", "org-members"],
    [`/licenses/${license.id}/key`, "org-license-key"],
    ["/docker", "org-docker"],
  ] as const;

describe("organization pages", SLOW, () => {
  for (const viewport of ["laptop", "phone"] as const) {
    it(`render accessibly under the CSP at ${viewport} width (owner: every control shown)`, async () => {
      await signedInAs(team.owner);
      for (const [path, name] of pagesOf()) {
        const tab = await visit(`/account/organizations/${ORG}${path}`, viewport);
        await checkPage(tab, `${name}-${viewport}`);
        await tab.page.close();
      }
    });
  }

  it("are reachable from the home page and the organization's navigation", async () => {
    await signedInAs(team.viewer);
    const { page } = await visit("/account/");
    await Promise.all([page.waitForNavigation(), page.click(`main a[href="/account/organizations/${ORG}"]`)]);
    expect(new URL(page.url()).pathname).toBe(`/account/organizations/${ORG}`);
    await Promise.all([page.waitForNavigation(), page.click(`a[href$="/licenses/${license.id}/key"]`)]);
    expect(await text(page, "main")).toContain("Only the owner of tb can rotate the key");
    for (const [label, path] of [
      ["Members", "/members"],
      ["Docker access", "/docker"],
      ["Overview", ""],
    ]) {
      const link = await page.$(`nav.org-nav a[href="/account/organizations/${ORG}${path}"]`);
      expect(await link?.evaluate((a) => a.textContent)).toBe(label);
      await Promise.all([page.waitForNavigation(), link!.click()]);
      expect(await page.$eval('nav.org-nav a[aria-current="page"]', (a) => a.textContent)).toBe(label);
    }
    await page.close();
  });
});

describe("members page flows", SLOW, () => {
  it("invite → the invitation shows as pending; a second invitation's 409 is shown next to the button", async () => {
    await signedInAs(team.admin);
    const { page } = await visit(`/account/organizations/${ORG}/members`);
    const api = `/v1/account/organizations/${ORG}/invitations`;
    await page.type("#invite-email", "joiner@tb.test");
    await page.select("#invite-role", "viewer");
    const reloaded = page.waitForNavigation();
    const { request, status } = await submitAndCapture(
      page,
      `form[data-api="${api}"] button[type=submit]`,
      api,
    );
    expect(JSON.parse(request.postData()!)).toEqual({ email: "joiner@tb.test", role: "viewer" });
    expect(request.headers()["x-csrf-token"]).toBe(team.admin.csrfToken);
    expect(status).toBe(201);
    await reloaded;
    const row = await page.$$eval("table tr", (rows) =>
      rows.map((r) => r.textContent ?? "").find((t) => t.includes("joiner@tb.test")),
    );
    expect(row).toMatch(/Viewer\s*Pending/);
    await screenshot(page, "org-members-invited");

    await page.type("#invite-email", "joiner@tb.test");
    const again = await submitAndCapture(page, `form[data-api="${api}"] button[type=submit]`, api);
    expect(again.status).toBe(409);
    expect(await visibleError(page, `form[data-api="${api}"]`)).toBe(again.body.error.message);
    expect(again.body.error.message).toMatch(/already has a pending invitation/);
    await screenshot(page, "org-members-invite-refused");
    await page.close();
  });

  it("change a role and revoke an invitation (after confirming) through the API", async () => {
    await signedInAs(team.owner);
    const { page } = await visit(`/account/organizations/${ORG}/members`);
    const memberApi = `/v1/account/organizations/${ORG}/members/${team.viewer.userId}`;
    await page.select(`form[data-api="${memberApi}"][data-method="PATCH"] select`, "member");
    let reloaded = page.waitForNavigation();
    const changed = await submitAndCapture(
      page,
      `form[data-api="${memberApi}"][data-method="PATCH"] button`,
      memberApi,
    );
    expect([changed.request.method(), JSON.parse(changed.request.postData()!)]).toEqual([
      "PATCH",
      { role: "member" },
    ]);
    expect(changed.status).toBe(200);
    await reloaded;
    const roles = await h.pool.query(
      "SELECT role FROM memberships WHERE organization = $1 AND user_id = $2",
      [ORG, team.viewer.userId],
    );
    expect(roles.rows[0].role).toBe("member");

    const dialogs: string[] = [];
    page.on("dialog", (dialog) => {
      dialogs.push(dialog.message());
      void dialog.accept();
    });
    const revoke = await page.$('form[data-method="DELETE"][data-api*="/invitations/"] button');
    const api = await revoke!.evaluate((b) => b.closest("form")!.getAttribute("data-api")!);
    reloaded = page.waitForNavigation();
    const revoked = await submitAndCapture(page, `form[data-api="${api}"] button`, api);
    expect([revoked.request.method(), revoked.status]).toEqual(["DELETE", 200]);
    expect(dialogs).toEqual(["Revoke the invitation to joiner@tb.test? Its link stops working."]);
    await reloaded;
    expect(await page.$(`form[data-api="${api}"]`)).toBeNull();
    await page.close();
  });
});

describe("license key flow", SLOW, () => {
  it("rotate (after confirming) → the new key is shown once, works, and is gone on reload; copy copies it", async () => {
    await signedInAs(team.owner);
    const { page } = await visit(`/account/organizations/${ORG}/licenses/${license.id}/key`);
    await allowClipboard(page);
    const dialogs: string[] = [];
    page.on("dialog", (dialog) => {
      dialogs.push(dialog.message());
      void dialog.accept();
    });
    const api = `/v1/account/organizations/${ORG}/licenses/${license.id}/rotate-key`;
    const { status, body } = await submitAndCapture(page, `form[data-api="${api}"] button`, api);
    expect(status).toBe(200);
    expect(dialogs[0]).toMatch(/^Rotate the license key\?/);
    await page.waitForSelector("#new-key:not([hidden])");
    const shown = await text(page, "#new-key-value");
    expect(shown).toBe(body.licenseKey);
    expect(shown).not.toBe(license.key);
    const stored = await h.pool.query("SELECT key_hash FROM licenses WHERE id = $1", [license.id]);
    expect(stored.rows[0].key_hash).toBe(hashLicenseKey(shown));
    expect(
      await page.$eval(`form[data-api="${api}"]`, (f) => (f as unknown as { hidden: boolean }).hidden),
    ).toBe(true);
    expect(await seriousAxeViolations(page)).toEqual([]);

    await page.click('button[data-copy="new-key-value"]');
    await page.waitForFunction(() => {
      // biome-ignore lint/suspicious/noExplicitAny: runs in the page
      const status = (globalThis as any).document.querySelector("#new-key .copy-status");
      return status?.textContent === "Copied.";
    });
    // biome-ignore lint/suspicious/noExplicitAny: runs in the page
    expect(await page.evaluate(() => (globalThis as any).navigator.clipboard.readText())).toBe(shown);
    await screenshot(page, "org-license-key-rotated");

    await page.reload({ waitUntil: "load" });
    expect(await page.content()).not.toContain(shown);
    expect(await page.$eval("#new-key", (p) => (p as unknown as { hidden: boolean }).hidden)).toBe(true);
    await page.close();
  });
});

describe("billing flow", SLOW, () => {
  it("Open the billing portal → the browser goes to the fake Stripe's portal URL", async () => {
    const org = "tb-paid";
    const email = "owner@tb-paid.test";
    const purchase = await h.buy([{ product: "pro", quantity: 1 }], org, email);
    for (const event of eventsById(
      h.fake,
      purchase.events.map((e) => e.id),
    )) {
      expect((await h.sendEvent(event)).status).toBe(200);
    }
    await signedInAs(await signInForTest(h.pool, email, h.clock.now()));
    const { page } = await visit(`/account/organizations/${org}`);
    const api = `/v1/account/organizations/${org}/billing-portal`;
    const navigated = page.waitForNavigation();
    const { status, body } = await submitAndCapture(
      page,
      `form[data-api="${api}"] button:first-of-type`,
      api,
    );
    expect(status).toBe(200);
    await navigated;
    if (body) expect(page.url()).toBe(body.url);
    expect(page.url()).toMatch(new RegExp(`^${h.fake.url}/_fake/billing_portal/`));
    await page.close();
  });

  it("Invoices on an organization without a Stripe customer shows the 409 next to the button", async () => {
    await signedInAs(team.admin);
    const { page } = await visit(`/account/organizations/${ORG}`);
    const api = `/v1/account/organizations/${ORG}/billing-portal`;
    const { status, body } = await submitAndCapture(page, `form[data-api="${api}"] .button-link`, api);
    expect([status, body.error.code]).toEqual([409, "no_stripe_customer"]);
    expect(await visibleError(page, `form[data-api="${api}"]`)).toBe(body.error.message);
    expect(new URL(page.url()).pathname).toBe(`/account/organizations/${ORG}`);
    await screenshot(page, "org-overview-no-stripe-customer");
    await page.close();
  });
});

describe("open-url refuses what is not a web address", SLOW, () => {
  it("a javascript: or data: URL in the answer is not followed; the person reads why", async () => {
    await signedInAs(team.owner);
    const { page, problems } = await visit(`/account/organizations/${ORG}`);
    const api = `/v1/account/organizations/${ORG}/billing-portal`;
    await page.setRequestInterception(true);
    let url = "javascript:document.title='pwned'";
    page.on("request", (request) => {
      if (!request.url().endsWith(api)) return void request.continue();
      void request.respond({ status: 200, contentType: "application/json", body: JSON.stringify({ url }) });
    });
    for (const bad of ["javascript:document.title='pwned'", "data:text/html,<p>pwned</p>"]) {
      url = bad;
      await page.click(`form[data-api="${api}"] button:first-of-type`);
      expect(await visibleError(page, `form[data-api="${api}"]`), bad).toBe(
        "The server's answer had no address to open.",
      );
      expect(new URL(page.url()).pathname).toBe(`/account/organizations/${ORG}`);
      expect(await page.title()).not.toBe("pwned");
    }
    expect(problems.pageErrors).toEqual([]);
    await page.close();
  });
});

describe("Docker access page", SLOW, () => {
  it("shows copy buttons with the script, and copying puts the exact command on the clipboard", async () => {
    await signedInAs(team.member);
    const { page } = await visit(`/account/organizations/${ORG}/docker`);
    await allowClipboard(page);
    expect(
      await page.$$eval(
        "button[data-copy]",
        (b) => b.filter((x) => !(x as unknown as { hidden: boolean }).hidden).length,
      ),
    ).toBe(6);
    await page.click('button[data-copy="cmd-token"]');
    await page.waitForFunction(() => {
      // biome-ignore lint/suspicious/noExplicitAny: runs in the page
      const d = (globalThis as any).document;
      return (
        d.querySelector('button[data-copy="cmd-token"]').parentElement.querySelector(".copy-status")
          .textContent === "Copied."
      );
    });
    // biome-ignore lint/suspicious/noExplicitAny: runs in the page
    const copied = await page.evaluate(() => (globalThis as any).navigator.clipboard.readText());
    expect(copied).toBe(await text(page, "#cmd-token"));
    expect(copied).toContain(`${h.url}/v1/registry/token`);
    expect(copied).toContain("--password-stdin 127.0.0.1:5000");
    await page.close();
  });
});
