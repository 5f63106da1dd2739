/**
 * The harness catches what it exists to catch: a CSP violation shows up as a console error, and axe-core
 * reports a serious violation, on a deliberately broken page served under the account pages' CSP.
 */
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import type { Browser } from "puppeteer-core";
import { afterAll, beforeAll, expect, it } from "vitest";
import { PAGE_CSP } from "../../billing/accounts/pages/page-headers.js";
import { launchBrowser, openPage, seriousAxeViolations } from "./index.js";

const BROKEN_PAGE = `<!doctype html><html lang="en"><head><title>broken</title></head><body><main>
<script>document.title = "inline script ran"</script>
<form><input type="text" name="unlabelled"></form></main></body></html>`;

let server: Server;
let url: string;
let browser: Browser;
beforeAll(async () => {
  server = createServer((_req, res) => {
    res.writeHead(200, { "content-type": "text/html", "content-security-policy": PAGE_CSP });
    res.end(BROKEN_PAGE);
  }).listen(0, "127.0.0.1");
  await new Promise((resolve) => server.once("listening", resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
  browser = await launchBrowser();
});
afterAll(async () => {
  await browser?.close();
  server?.close();
});

it("records a CSP violation (an inline script) as a console error, and the script does not run", async () => {
  const { page, problems } = await openPage(browser);
  await page.goto(url, { waitUntil: "load" });
  expect(await page.title()).toBe("broken");
  expect(problems.consoleErrors.join("\n")).toMatch(/Content Security Policy/);
});

it("reports an unlabelled input as a serious or critical axe violation", async () => {
  const { page } = await openPage(browser);
  await page.goto(url, { waitUntil: "load" });
  expect((await seriousAxeViolations(page)).join("\n")).toMatch(/label/);
});
