/**
 * The seat, workstation and container-session pages in a real browser (Debian's chromium through
 * puppeteer-core), on the real billing app, PostgreSQL and the Kubernetes API test server: each page is
 * accessible (axe-core: no serious or critical violations) at laptop and phone width under the strict CSP,
 * and one flow per page goes through the real JSON API — assign a seat until the 409 shows as a message,
 * start a workstation and watch the state and the Open link arrive without a reload, and a container
 * session appear in the live count. Screenshots go to .tmp/screenshots/.
 */
import * as k8s from "@kubernetes/client-node";
import { PatchStrategy, setHeaderOptions } from "@kubernetes/client-node";
import type { Page } from "puppeteer-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CRD_DIR } from "../../../crds/load.js";
import { WorkstationResource } from "../../../crds/types.js";
import {
  type AccountPagesBrowser,
  checkPage,
  startAccountPagesBrowser,
  type Viewport,
  type VisitedPage,
} from "../../../test-support/browser/account-pages.js";
import { screenshot, seriousAxeViolations } from "../../../test-support/browser/index.js";
import { type KubeApiServer, startKubeApiServer } from "../../../test-support/kube-apiserver/index.js";
import type { BillingHarness } from "../../testing/harness.js";
import { grantLicense } from "../seats/testing.js";
import { type Person, type TestOrganization, testOrganization } from "../testing/organization.js";

const mergePatch = setHeaderOptions("Content-Type", PatchStrategy.MergePatch);
const SLOW = { timeout: 120_000 };

let kube: KubeApiServer;
let pages: AccountPagesBrowser;
let h: BillingHarness;
let custom: k8s.CustomObjectsApi;
let org: TestOrganization;
let license: { id: string; key: string; workstations: string[] };

beforeAll(async () => {
  kube = await startKubeApiServer({ crdDirs: [CRD_DIR] });
  pages = await startAccountPagesBrowser({ kubeConfig: kube.kubeConfig() });
  h = pages.h;
  custom = kube.kubeConfig().makeApiClient(k8s.CustomObjectsApi);
  org = await testOrganization(h.pool, "seatbrowser", h.clock.now());
  license = await grantLicense(h.pool, h.clock.now(), { organization: org.slug, seats: 2, workstations: 1 });
  await h.deps.kube!.syncLicense(license.id);
}, 120_000);
afterAll(async () => {
  await pages?.stop();
  await kube?.stop();
});

const pagePath = (name: string) => `/account/organizations/${org.slug}/${name}`;

async function visitAs(who: Person, path: string, viewport: Viewport = "laptop"): Promise<VisitedPage> {
  await pages.useSession(org.people[who].cookie);
  const tab = await pages.visit(path, viewport);
  expect(tab.status, path).toBe(200);
  return tab;
}

const text = (page: Page, selector: string) => page.$eval(selector, (el) => el.textContent ?? "");

type InPage = { document: { querySelector(selector: string): { textContent: string | null } | null } };
/** Waits until `selector`'s text is `expected` (what account.js's polling writes, without a reload). */
const waitForText = (page: Page, selector: string, expected: string) =>
  page.waitForFunction(
    (sel: string, want: string) =>
      (globalThis as unknown as InPage).document.querySelector(sel)?.textContent === want,
    { timeout: 30_000 },
    selector,
    expected,
  );

/** What the operator writes on the Workstation resource (the API test server has no operator). */
async function reportPhase(name: string, phase: string, accessUrl?: string) {
  await custom.patchNamespacedCustomObjectStatus(
    {
      group: WorkstationResource.group,
      version: WorkstationResource.version,
      plural: WorkstationResource.plural,
      namespace: org.slug,
      name,
      body: {
        status: { phase, ...(accessUrl ? { accessUrl, accessGrantedTo: "member@seatbrowser.test" } : {}) },
      },
    },
    mergePatch,
  );
}

describe("the pages render accessibly", SLOW, () => {
  for (const viewport of ["laptop", "phone"] as const) {
    it(`at ${viewport} width, for an owner and for a viewer`, async () => {
      for (const who of ["owner", "viewer"] as const) {
        for (const name of ["seats", "workstations", "sessions"]) {
          await checkPage(await visitAs(who, pagePath(name), viewport), `${name}-${who}-${viewport}`);
        }
      }
    });
  }
});

describe("one flow per page through the real API", SLOW, () => {
  it("seats: the owner assigns seats until the license is full, reads the 409 as a message, and unassigns", async () => {
    const tab = await visitAs("owner", pagePath("seats"));
    const { page } = tab;
    const section = `section[data-license="${license.id}"]`;
    for (const who of ["member", "viewer"] as const) {
      await page.select(`${section} select[name=userId]`, org.people[who].userId);
      await Promise.all([
        page.waitForNavigation(),
        page.click(`${section} .assign-form button[type=submit]`),
      ]);
      expect(await text(page, section)).toContain(`${who}@seatbrowser.test`);
    }
    expect(await text(page, `${section} [data-field=used]`)).toBe("2");
    // Both seats are taken: the next assign is refused by the API, and the page says why next to the button.
    await page.select(`${section} select[name=userId]`, org.people.admin.userId);
    await page.click(`${section} .assign-form button[type=submit]`);
    await page.waitForSelector(`${section} .assign-form .form-error:not([hidden])`);
    expect(await text(page, `${section} .assign-form .form-error`)).toBe(
      `all 2 seats of license ${license.id} are assigned; unassign one or buy more`,
    );
    expect(await seriousAxeViolations(page)).toEqual([]);
    await screenshot(page, "seats-full-refused");
    // Unassign the viewer's seat.
    await Promise.all([
      page.waitForNavigation(),
      page.click(`${section} tr[data-user="${org.people.viewer.userId}"] button[type=submit]`),
    ]);
    expect(await text(page, `${section} [data-field=used]`)).toBe("1");
    expect(await text(page, `${section} table`)).not.toContain("viewer@seatbrowser.test");
    // The browser logs the refused assign (409) itself; nothing else may have gone wrong. (The DELETE shows
    // as "aborted" because its 204 is followed at once by the reload account.js starts.)
    expect(tab.problems.pageErrors).toEqual([]);
    expect(tab.problems.consoleErrors.map((e) => e.replace(/\(http.*\)$/, ""))).toEqual([
      "Failed to load resource: the server responded with a status of 409 (Conflict) ",
    ]);
  });

  it("workstations: the member starts their workstation and sees the state and Open arrive without a reload", async () => {
    const ws = license.workstations[0]!;
    const owner = await visitAs("owner", pagePath("workstations"));
    await owner.page.select(`tr[data-workstation="${ws}"] select[name=userId]`, org.people.member.userId);
    await Promise.all([
      owner.page.waitForNavigation(),
      owner.page.click(`tr[data-workstation="${ws}"] form[data-api$="/assign"] button`),
    ]);
    expect(await text(owner.page, `tr[data-workstation="${ws}"]`)).toContain("member@seatbrowser.test");
    // The member stops it (the operator reports Stopped), then starts it again from the page.
    const member = await visitAs("member", pagePath("workstations"));
    const row = `tr[data-workstation="${ws}"]`;
    await Promise.all([
      member.page.waitForNavigation(),
      member.page.click(`${row} form[data-api$="/stop"] button`),
    ]);
    await reportPhase(ws, "Stopped");
    await member.page.reload({ waitUntil: "load" });
    expect(await text(member.page, `${row} [data-field=state]`)).toBe("Stopped");
    await Promise.all([
      member.page.waitForNavigation(),
      member.page.click(`${row} form[data-api$="/start"] button`),
    ]);
    expect(await text(member.page, `${row} [data-field=state]`)).toBe("Stopped, starting…");
    expect(await text(member.page, "#workstations-status")).toMatch(/every few seconds/);
    await screenshot(member.page, "workstations-starting");
    // The operator reports Running with the access URL: the page shows it by polling, without a reload.
    await reportPhase(ws, "Running", `https://${ws}.ws.test/`);
    await waitForText(member.page, `${row} [data-field=state]`, "Running");
    expect(await member.page.$eval(`${row} [data-field=access] a`, (a) => a.getAttribute("href"))).toBe(
      `https://${ws}.ws.test/`,
    );
    await waitForText(member.page, "#workstations-status", "Up to date.");
    expect(await member.page.$eval("table[data-poll]", (t) => t.hasAttribute("data-polling"))).toBe(false);
    await checkPage(member, "workstations-running-member");
  });

  it("container sessions: a validated container appears in the live count and the table by itself", async () => {
    const tab = await visitAs("viewer", pagePath("sessions"));
    const before = Number(await text(tab.page, "[data-field=live-count]"));
    const v = await fetch(`${h.url}/v1/sessions/validate`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({
        licenseKey: license.key,
        containerId: "browser-box",
        containerType: "docker",
        hostname: "laptop.seatbrowser.test",
      }),
    });
    expect(v.status).toBe(201);
    // No reload: account.js refreshes every 10 s.
    await tab.page.waitForSelector("tr[data-session] code", { timeout: 30_000 });
    expect(Number(await text(tab.page, "[data-field=live-count]"))).toBe(before + 1);
    expect(await text(tab.page, "tbody[data-field=sessions]")).toContain("laptop.seatbrowser.test");
    await checkPage(tab, "sessions-live");
  });
});
