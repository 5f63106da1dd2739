/**
 * The browser test harness (issue 17, ADR 0281): Debian's chromium driven by puppeteer-core (the bundled
 * browser downloads of puppeteer fail here), axe-core evaluated in each page, screenshots for people.
 *
 * - `launchBrowser()` starts /usr/bin/chromium (CHROMIUM_PATH overrides) headless. As root — CI runs as
 *   root — chromium refuses to start without --no-sandbox; /dev/shm is small in containers, hence
 *   --disable-dev-shm-usage.
 * - `openPage()` records what would otherwise fail silently: console errors (CSP violations are reported
 *   there), uncaught exceptions and failed requests.
 * - `axeViolations()` evaluates axe-core's source through the DevTools protocol (not a <script> tag: the
 *   pages' CSP rightly refuses inline scripts, and the test must not weaken the CSP it checks).
 * - `screenshot()` writes `.tmp/screenshots/<name>.png` (gitignored) so a person can look at each page.
 */
import { mkdirSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import puppeteer, { type Browser, type Page } from "puppeteer-core";

const root = join(dirname(fileURLToPath(import.meta.url)), "..", "..");
export const SCREENSHOT_DIR = join(root, ".tmp", "screenshots");
export const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";

/** Laptop and phone widths the pages are checked at. */
export const VIEWPORTS = {
  laptop: { width: 1280, height: 800 },
  phone: { width: 375, height: 740, isMobile: true, hasTouch: true, deviceScaleFactor: 2 },
} as const;

export async function launchBrowser(): Promise<Browser> {
  const args = ["--headless=new", "--disable-dev-shm-usage", "--disable-gpu", "--no-first-run"];
  if (process.getuid?.() === 0) args.push("--no-sandbox");
  return puppeteer.launch({
    executablePath: CHROMIUM_PATH,
    headless: true,
    args,
    // A loaded 2-core machine: chromium's first start can take several seconds.
    timeout: 60_000,
  });
}

export interface PageProblems {
  consoleErrors: string[];
  pageErrors: string[];
  failedRequests: string[];
}

export interface OpenedPage {
  page: Page;
  problems: PageProblems;
}

export async function openPage(
  browser: Browser,
  viewport: (typeof VIEWPORTS)[keyof typeof VIEWPORTS] = VIEWPORTS.laptop,
): Promise<OpenedPage> {
  const page = await browser.newPage();
  await page.setViewport(viewport);
  const problems: PageProblems = { consoleErrors: [], pageErrors: [], failedRequests: [] };
  page.on("console", (message) => {
    if (message.type() !== "error") return;
    // A page served with a 4xx status (a 404 page, a refused link) logs its own status: the test asserts
    // the status itself; any other resource failing to load stays a problem.
    const ownDocument = message.location().url === page.url();
    if (ownDocument && message.text().startsWith("Failed to load resource")) return;
    problems.consoleErrors.push(`${message.text()} (${message.location().url ?? "?"})`);
  });
  page.on("pageerror", (error) => problems.pageErrors.push(String(error)));
  page.on("requestfailed", (request) =>
    problems.failedRequests.push(`${request.method()} ${request.url()}: ${request.failure()?.errorText}`),
  );
  return { page, problems };
}

/** Puts a cookie (e.g. signInForTest's session) into the browser for `baseUrl`. */
export async function setCookie(browser: Browser, baseUrl: string, cookie: string): Promise<void> {
  const eq = cookie.indexOf("=");
  await browser.setCookie({
    name: cookie.slice(0, eq),
    value: cookie.slice(eq + 1),
    domain: new URL(baseUrl).hostname,
    path: "/",
    httpOnly: true,
    sameSite: "Lax",
  });
}

let axeSource: string | undefined;

export interface AxeViolation {
  id: string;
  impact: string | null;
  help: string;
  nodes: string[];
}

/** axe-core's violations of the page as it is now; `serious` and `critical` are the ones tests refuse. */
export async function axeViolations(page: Page): Promise<AxeViolation[]> {
  axeSource ??= readFileSync(createRequire(import.meta.url).resolve("axe-core/axe.min.js"), "utf8");
  await page.evaluate(axeSource);
  return page.evaluate(async () => {
    // biome-ignore lint/suspicious/noExplicitAny: runs in the page (no DOM types here); axe is its global
    const inPage = globalThis as any;
    const result = await inPage.axe.run(inPage.document, { resultTypes: ["violations"] });
    // biome-ignore lint/suspicious/noExplicitAny: axe's result objects
    return result.violations.map((v: any) => ({
      id: v.id,
      impact: v.impact,
      help: v.help,
      // biome-ignore lint/suspicious/noExplicitAny: axe's node objects
      nodes: v.nodes.map((n: any) => n.target.join(" ")),
    }));
  });
}

/** The serious and critical violations, formatted for an assertion message. */
export async function seriousAxeViolations(page: Page): Promise<string[]> {
  return (await axeViolations(page))
    .filter((v) => v.impact === "serious" || v.impact === "critical")
    .map((v) => `${v.impact} ${v.id}: ${v.help} (${v.nodes.join(", ")})`);
}

export async function screenshot(page: Page, name: string): Promise<string> {
  mkdirSync(SCREENSHOT_DIR, { recursive: true });
  const path = join(SCREENSHOT_DIR, `${name}.png`);
  await page.screenshot({ path: path as `${string}.png`, fullPage: true });
  return path;
}

/** What a page looks like to the checks every account page must pass (see HEALTHY_ACCOUNT_PAGE). */
export interface PageHealth {
  problems: PageProblems;
  /** The body's computed display: account.css makes it `flex`, so anything else = the stylesheet was blocked. */
  bodyDisplay: string;
  seriousAxe: string[];
  /** Wider than the viewport: the page scrolls sideways (at phone width, a layout bug). */
  scrollsSideways: boolean;
}

/** Styled, nothing blocked or broken, no serious axe-core violation, no sideways scrolling. */
export const HEALTHY_ACCOUNT_PAGE: PageHealth = {
  problems: { consoleErrors: [], pageErrors: [], failedRequests: [] },
  bodyDisplay: "flex",
  seriousAxe: [],
  scrollsSideways: false,
};

/** Takes the page's screenshot (`name`) and reads what HEALTHY_ACCOUNT_PAGE describes. */
export async function pageHealth({ page, problems }: OpenedPage, name: string): Promise<PageHealth> {
  await screenshot(page, name);
  const layout = await page.evaluate(() => {
    // biome-ignore lint/suspicious/noExplicitAny: runs in the page
    const w = globalThis as any;
    return {
      bodyDisplay: String(w.getComputedStyle(w.document.body).display),
      overflow: Number(w.document.documentElement.scrollWidth - w.innerWidth),
    };
  });
  return {
    problems: {
      consoleErrors: [...problems.consoleErrors],
      pageErrors: [...problems.pageErrors],
      failedRequests: [...problems.failedRequests],
    },
    bodyDisplay: layout.bodyDisplay,
    seriousAxe: await seriousAxeViolations(page),
    scrollsSideways: layout.overflow > 0,
  };
}
