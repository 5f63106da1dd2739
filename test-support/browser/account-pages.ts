/**
 * What every browser test of billing's account pages starts with: the billing harness and chromium pointed
 * at it. The browser reaches billing at the harness's address, so that address is the public base URL —
 * the CSRF check compares the browser's Origin with it, and Google's callback is built from it.
 *
 * Test infrastructure.
 */
import type { Browser } from "puppeteer-core";
import { expect } from "vitest";
import { type BillingHarness, startBillingHarness } from "../../billing/testing/harness.js";
import {
  HEALTHY_ACCOUNT_PAGE,
  launchBrowser,
  type OpenedPage,
  openPage,
  pageHealth,
  setCookie,
  VIEWPORTS,
} from "./index.js";

export type Viewport = keyof typeof VIEWPORTS;

export interface VisitedPage extends OpenedPage {
  /** The document's HTTP status; null when the navigation got no response. */
  status: number | null;
}

export interface AccountPagesBrowser {
  h: BillingHarness;
  browser: Browser;
  /** Opens billing's `path` in a new tab at `viewport` and waits for it to load. */
  visit(path: string, viewport?: Viewport): Promise<VisitedPage>;
  /** Forgets every cookie, then holds `cookie` (a signed-in account session) when given. */
  useSession(cookie?: string): Promise<void>;
  stop(): Promise<void>;
}

export async function startAccountPagesBrowser(
  options: Parameters<typeof startBillingHarness>[0] = {},
): Promise<AccountPagesBrowser> {
  const h = await startBillingHarness(options);
  h.deps.config.publicBaseUrl = h.url;
  let browser: Browser;
  try {
    browser = await launchBrowser();
  } catch (error) {
    await h.stop();
    throw error;
  }
  return {
    h,
    browser,
    async visit(path, viewport = "laptop") {
      const tab = await openPage(browser, VIEWPORTS[viewport]);
      const response = await tab.page.goto(`${h.url}${path}`, { waitUntil: "load" });
      return { ...tab, status: response ? response.status() : null };
    },
    async useSession(cookie) {
      await browser.deleteCookie(...(await browser.cookies()));
      if (cookie) await setCookie(browser, h.url, cookie);
    },
    async stop() {
      await browser.close();
      await h.stop();
    },
  };
}

/** Styled, nothing blocked or broken, no serious axe violation, no sideways scrolling; a screenshot. */
export async function checkPage(tab: OpenedPage, name: string): Promise<void> {
  expect(await pageHealth(tab, name), name).toEqual(HEALTHY_ACCOUNT_PAGE);
}
