/**
 * "Sign in with Google" in a real browser (chromium through puppeteer-core): the sign-in page offers the
 * link under the strict CSP with no serious axe-core violation; clicking it goes through the fake Google's
 * authorization endpoint (the account the test chose consents) and back through the callback, and the
 * browser lands signed in on /account/ — cookies set and sent by the browser itself, not by the test. A
 * person who cancels at Google lands on the sign-in page with the reason. Screenshots in .tmp/screenshots/.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Browser, Page } from "puppeteer-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  type AccountPagesBrowser,
  checkPage,
  startAccountPagesBrowser,
  type Viewport,
  type VisitedPage,
} from "../../../test-support/browser/account-pages.js";
import {
  type FakeGoogleIdentity,
  startFakeGoogleIdentity,
} from "../../../test-support/fake-google-identity/index.js";
import type { BillingHarness } from "../../testing/harness.js";
import { GOOGLE_FLOW_COOKIE } from "../auth/google-code-flow.js";
import { ACCOUNT_COOKIE } from "../http/authenticate.js";

const CLIENT_ID = "coditect-browser.apps.googleusercontent.com";
const CLIENT_SECRET = "GOCSPX-browser-test-0123456789abcdef";

let google: FakeGoogleIdentity;
let pages: AccountPagesBrowser;
let h: BillingHarness;
let browser: Browser;
const secretDir = mkdtempSync(join(tmpdir(), "google-client-secret-"));

beforeAll(async () => {
  google = await startFakeGoogleIdentity({ now: () => h.clock.now() });
  writeFileSync(join(secretDir, "secret"), CLIENT_SECRET);
  pages = await startAccountPagesBrowser({
    env: {
      ACCOUNT_GOOGLE_CLIENT_ID: CLIENT_ID,
      ACCOUNT_GOOGLE_JWKS_URL: google.jwksUrl,
      ACCOUNT_GOOGLE_CLIENT_SECRET_FILE: join(secretDir, "secret"),
      ACCOUNT_GOOGLE_AUTHORIZATION_URL: google.authorizationUrl,
      ACCOUNT_GOOGLE_TOKEN_URL: google.tokenUrl,
    },
  });
  ({ h, browser } = pages);
  google.registerOAuthClient({
    clientId: CLIENT_ID,
    clientSecret: CLIENT_SECRET,
    redirectUris: [`${h.url}/account/sign-in/google/callback`],
  });
});
afterAll(async () => {
  await pages?.stop();
  await google?.stop();
  rmSync(secretDir, { recursive: true, force: true });
});

async function visit(path: string, viewport: Viewport = "laptop"): Promise<VisitedPage> {
  await pages.useSession();
  const tab = await pages.visit(path, viewport);
  expect(tab.status, path).toBe(200);
  return tab;
}

/** Clicks "Sign in with Google" and waits for the end of the redirects (Google, the callback, the page). */
async function clickSignInWithGoogle(page: Page) {
  const [response] = await Promise.all([
    page.waitForNavigation({ waitUntil: "load" }),
    page.click("a.button-google"),
  ]);
  return response;
}

const SLOW = { timeout: 120_000 };

describe("Sign in with Google in a browser", SLOW, () => {
  for (const viewport of ["laptop", "phone"] as const) {
    it(`is offered on the sign-in page, accessibly under the CSP, at ${viewport} width`, async () => {
      const tab = await visit("/account/sign-in", viewport);
      const link = await tab.page.$eval("a.button-google", (a) => ({
        text: a.textContent,
        href: a.getAttribute("href"),
      }));
      expect(link).toEqual({ text: "Sign in with Google", href: "/account/sign-in/google" });
      await checkPage(tab, `sign-in-google-${viewport}`);
    });
  }

  it("takes the person through Google and lands them signed in on /account/", async () => {
    google.consent({ email: "ada@browser-google.test" });
    const tab = await visit("/account/sign-in");
    const response = await clickSignInWithGoogle(tab.page);
    expect(response?.status()).toBe(200);
    expect(tab.page.url()).toBe(`${h.url}/account/`);
    expect(await tab.page.$eval(".who strong", (el) => el.textContent)).toBe("ada@browser-google.test");
    // The browser holds the session cookie Google's round trip produced, and no pending sign-in any more.
    const names = (await browser.cookies()).map((c) => c.name);
    expect(names).toContain(ACCOUNT_COOKIE);
    expect(names).not.toContain(GOOGLE_FLOW_COOKIE);
    await checkPage(tab, "google-signed-in-home");
    const sessions = await h.pool.query(
      "SELECT s.method FROM account_sessions s JOIN users u ON u.id = s.user_id WHERE u.email = $1",
      ["ada@browser-google.test"],
    );
    expect(sessions.rows).toEqual([{ method: "google" }]);
  });

  it("brings a person who cancels at Google back to the sign-in page with the reason", async () => {
    google.consent("deny");
    const tab = await visit("/account/sign-in");
    const response = await clickSignInWithGoogle(tab.page);
    expect(response?.status()).toBe(401);
    expect(new URL(tab.page.url()).pathname).toBe("/account/sign-in/google/callback");
    expect(await tab.page.$eval(".notice-error[role=alert]", (el) => el.textContent)).toContain(
      "You did not let Google share your account with CODITECT",
    );
    expect((await browser.cookies()).map((c) => c.name)).not.toContain(ACCOUNT_COOKIE);
    await checkPage(tab, "google-sign-in-cancelled");
  });
});
