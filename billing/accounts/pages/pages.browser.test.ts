/**
 * The account pages in a real browser (Debian's chromium through puppeteer-core, test-support/browser):
 * each page renders with its stylesheet and script under the strict CSP (a blocked resource or inline code
 * would be a console error), has no serious or critical axe-core violations at laptop and phone width,
 * fits a phone without sideways scrolling, and account.js sends forms to the JSON API with the CSRF token
 * and shows every failure next to the button. Screenshots go to .tmp/screenshots/.
 */
import type { HTTPRequest, Page } from "puppeteer-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  type AccountPagesBrowser,
  checkPage,
  startAccountPagesBrowser,
  type Viewport,
  type VisitedPage,
} from "../../../test-support/browser/account-pages.js";
import { screenshot, seriousAxeViolations } from "../../../test-support/browser/index.js";
import type { BillingHarness } from "../../testing/harness.js";
import { newToken } from "../account-session.js";
import { signInForTest } from "../testing/sign-in.js";

let pages: AccountPagesBrowser;
let h: BillingHarness;
beforeAll(async () => {
  pages = await startAccountPagesBrowser();
  h = pages.h;
});
afterAll(async () => {
  await pages?.stop();
});

async function visit(path: string, viewport: Viewport = "laptop"): Promise<VisitedPage> {
  const tab = await pages.visit(path, viewport);
  expect(tab.status, path).not.toBeNull();
  return tab;
}

const visibleText = (page: Page, selector: string) =>
  page.$eval(selector, (el) => ((el as unknown as { hidden: boolean }).hidden ? "" : (el.textContent ?? "")));

/** Submits the form of `button` and returns the API request it sent and the API's answer. */
async function submitAndCapture(page: Page, button: string, api: string) {
  const requestSent = page.waitForRequest((r: HTTPRequest) => r.url().endsWith(api));
  const answered = page.waitForResponse((r) => r.url().endsWith(api));
  await page.click(button);
  const request = await requestSent;
  const response = await answered;
  // A 204 (sign-out) has no body, and the page navigates away at once: there is nothing to read.
  const text = response.status() === 204 ? "" : await response.text();
  return { request, status: response.status(), body: text ? JSON.parse(text) : undefined };
}

// A page check (render, axe, screenshot) takes seconds; CI runs every suite at once on two cores.
const SLOW = { timeout: 120_000 };

describe("pages for people not signed in", SLOW, () => {
  for (const viewport of ["laptop", "phone"] as const) {
    it(`render accessibly under the CSP at ${viewport} width`, async () => {
      const token = newToken();
      const pages: [string, string][] = [
        ["/account/sign-in", "sign-in"],
        [`/account/sign-in/verify?token=${token}`, "sign-in-verify"],
        [`/account/invitations/accept?token=${token}`, "invitation-accept"],
        ["/account/sign-in/verify?token=bad", "sign-in-verify-broken-link"],
        ["/account/no-such-page", "not-found"],
      ];
      for (const [path, name] of pages) await checkPage(await visit(path, viewport), `${name}-${viewport}`);
    });
  }

  it("reach the sign-in page when they open the home page", async () => {
    const { page } = await visit("/account/");
    expect(new URL(page.url()).pathname).toBe("/account/sign-in");
  });

  it("send the email form to the API as JSON and show its answer", async () => {
    const { page } = await visit("/account/sign-in");
    await page.type("#email", "newcomer@pages.test");
    const { request, status, body } = await submitAndCapture(
      page,
      "form[data-api] button[type=submit]",
      "/v1/account/sign-in/email",
    );
    expect(request.method()).toBe("POST");
    expect(request.headers()["content-type"]).toBe("application/json");
    expect(JSON.parse(request.postData()!)).toEqual({ email: "newcomer@pages.test" });
    // With W1's route: 202 → the "check your mail" panel; without it (or on any error) its message shows.
    if (status === 202) {
      await page.waitForSelector("#check-mail:not([hidden])");
      expect(await page.$eval("form[data-api]", (f) => (f as unknown as { hidden: boolean }).hidden)).toBe(
        true,
      );
    } else {
      await page.waitForSelector(".form-error:not([hidden])");
      expect(await visibleText(page, "form[data-api] .form-error")).toBe(body.error.message);
    }
  });

  it("put an error naming a field next to that field, and a success panel in focus (account.js's rules)", async () => {
    // The answers here are the API's documented shapes, given by the browser (request interception) so that
    // this test pins account.js's behaviour whatever W1's route answers for a given address.
    const { page } = await visit("/account/sign-in");
    await page.setRequestInterception(true);
    let answer = {
      status: 400,
      body: { error: { code: "invalid_request", message: "email: not an address" } },
    };
    page.on("request", (request) => {
      if (!request.url().endsWith("/v1/account/sign-in/email")) return void request.continue();
      void request.respond({
        status: answer.status,
        contentType: "application/json",
        body: JSON.stringify(answer.body),
      });
    });
    await page.type("#email", "someone@pages.test");
    await page.click("form[data-api] button[type=submit]");
    await page.waitForSelector("#email-error:not([hidden])");
    expect(await visibleText(page, "#email-error")).toBe("not an address");
    expect(await page.$eval("#email", (e) => e.getAttribute("aria-invalid"))).toBe("true");
    expect(
      await page.evaluate(
        () => (globalThis as { document?: { activeElement?: { id: string } } }).document?.activeElement?.id,
      ),
    ).toBe("email");
    expect(await visibleText(page, "form[data-api] .form-error")).toBe("");
    await screenshot(page, "sign-in-field-error");
    answer = { status: 202, body: {} as never };
    await page.click("form[data-api] button[type=submit]");
    await page.waitForSelector("#check-mail:not([hidden])");
    expect(
      await page.evaluate(
        () => (globalThis as { document?: { activeElement?: { id: string } } }).document?.activeElement?.id,
      ),
    ).toBe("check-mail");
    expect(await page.$eval("#email", (e) => e.getAttribute("aria-invalid"))).toBeNull();
    expect(await seriousAxeViolations(page)).toEqual([]);
    await screenshot(page, "sign-in-check-mail");
  });

  it("post the magic-link token only when the button is pressed, and show a refusal next to the button", async () => {
    const token = newToken();
    const { page } = await visit(`/account/sign-in/verify?token=${token}`);
    const { request, status, body } = await submitAndCapture(
      page,
      "main button[type=submit]",
      "/v1/account/sign-in/email/verify",
    );
    expect(JSON.parse(request.postData()!)).toEqual({ token });
    // An unknown token is refused, by W1's route or (before it lands) by the 404 of a missing route.
    expect(status).toBeGreaterThanOrEqual(400);
    await page.waitForSelector("main .form-error:not([hidden])");
    expect(await visibleText(page, "main .form-error")).toBe(body.error.message);
    await screenshot(page, "sign-in-verify-refused");
  });

  it("say so when the request cannot be sent at all (no silent failure)", async () => {
    const { page, problems } = await visit("/account/sign-in");
    await page.type("#email", "offline@pages.test");
    await page.setOfflineMode(true);
    await page.click("form[data-api] button[type=submit]");
    await page.waitForSelector(".form-error:not([hidden])");
    expect(await visibleText(page, "form[data-api] .form-error")).toMatch(/could not be sent/);
    problems.failedRequests.length = 0; // the failed request is the point of this test
    problems.consoleErrors.length = 0;
  });
});

describe("pages for a signed-in person", SLOW, () => {
  for (const viewport of ["laptop", "phone"] as const) {
    it(`show the organizations and roles accessibly at ${viewport} width`, async () => {
      const now = h.clock.now();
      const email = `owner-${viewport}@pages.test`;
      const owner = await signInForTest(h.pool, email, now, {
        organization: `browser-${viewport}`,
        role: "owner",
      });
      await pages.useSession(owner.cookie);
      const home = await visit("/account/", viewport);
      expect(new URL(home.page.url()).pathname).toBe("/account/");
      expect(await home.page.$eval("main table", (t) => t.textContent)).toContain(`browser-${viewport}`);
      expect(await home.page.$eval(".who", (t) => t.textContent)).toContain(email);
      await checkPage(home, `home-${viewport}`);
      await checkPage(await visit("/account/sign-out", viewport), `sign-out-${viewport}`);
    });
  }

  it("sign out through the API with the session's CSRF token", async () => {
    const dana = await signInForTest(h.pool, "dana@pages.test", h.clock.now(), {
      organization: "browser-dana",
      role: "member",
    });
    await pages.useSession(dana.cookie);
    const { page } = await visit("/account/");
    const { request, status, body } = await submitAndCapture(
      page,
      ".who button[type=submit]",
      "/v1/account/sign-out",
    );
    expect(request.headers()["x-csrf-token"]).toBe(dana.csrfToken);
    // Signed out (204) → the page goes to sign-in, and the session no longer opens account pages.
    expect([status, body]).toEqual([204, undefined]);
    await page.waitForFunction(
      () => (globalThis as { location?: { pathname: string } }).location?.pathname === "/account/sign-in",
    );
    const again = await visit("/account/");
    expect(new URL(again.page.url()).pathname).toBe("/account/sign-in");
  });
});
