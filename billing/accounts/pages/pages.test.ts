/**
 * The account pages over HTTP through the real app (billing/app.ts mount, helmet in front) and real
 * PostgreSQL: the pages' CSP replaces the API's, unauthenticated pages redirect to sign-in, emailed links'
 * landing pages consume nothing on GET, every value from a request or the database is escaped, and a
 * person sees their own organizations only.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type BillingHarness, startBillingHarness } from "../../testing/harness.js";
import { hashToken, newToken } from "../account-session.js";
import { signInForTest } from "../testing/sign-in.js";
import { PAGE_CSP } from "./page-headers.js";

let h: BillingHarness;
beforeAll(async () => {
  h = await startBillingHarness();
});
afterAll(async () => {
  await h.stop();
});

const get = (path: string, headers: Record<string, string> = {}) =>
  fetch(`${h.url}${path}`, { headers, redirect: "manual" });

describe("page headers", () => {
  it("gives pages their own strict CSP, no caching and no referrer, while the API keeps default-src 'none'", async () => {
    const page = await get("/account/sign-in");
    expect(page.status).toBe(200);
    expect(page.headers.get("content-type")).toMatch(/^text\/html/);
    expect(page.headers.get("content-security-policy")).toBe(PAGE_CSP);
    expect(PAGE_CSP).not.toMatch(/unsafe|\*|data:/);
    expect(page.headers.get("cache-control")).toBe("no-store");
    expect(page.headers.get("referrer-policy")).toBe("no-referrer");
    expect(page.headers.get("x-content-type-options")).toBe("nosniff"); // helmet still applies
    const api = await get("/v1/products");
    expect(api.headers.get("content-security-policy")).toBe("default-src 'none';frame-ancestors 'none'");
  });

  it("answers an unknown page with an HTML 404 under the pages' CSP", async () => {
    const res = await get("/account/no-such-page");
    expect(res.status).toBe(404);
    expect(res.headers.get("content-type")).toMatch(/^text\/html/);
    expect(res.headers.get("content-security-policy")).toBe(PAGE_CSP);
  });
});

describe("static files", () => {
  it("serves the stylesheet and the script the pages link, versioned by content and cacheable", async () => {
    const html = await (await get("/account/sign-in")).text();
    const css = /href="(\/account\/static\/account\.css\?v=[\w-]+)"/.exec(html)?.[1];
    const js = /src="(\/account\/static\/account\.js\?v=[\w-]+)"/.exec(html)?.[1];
    expect(css && js).toBeTruthy();
    const cssRes = await get(css!);
    expect(cssRes.status).toBe(200);
    expect(cssRes.headers.get("content-type")).toBe("text/css; charset=utf-8");
    expect(cssRes.headers.get("cache-control")).toContain("immutable");
    const jsRes = await get(js!);
    expect(jsRes.headers.get("content-type")).toBe("text/javascript; charset=utf-8");
    expect(await jsRes.text()).toContain("x-csrf-token");
    // An old version in the URL must not be cached for a year (it is this content, not that version).
    expect((await get("/account/static/account.css?v=old")).headers.get("cache-control")).toBe("no-cache");
    expect((await get("/account/static/nothing.js")).status).toBe(404);
  });
});

describe("signed-in pages", () => {
  it("redirect a request without a live session to the sign-in page", async () => {
    for (const cookie of [undefined, "coditect_account=not-a-session"]) {
      for (const path of ["/account/", "/account", "/account/sign-out"]) {
        const res = await get(path, cookie ? { cookie } : {});
        expect(res.status, `${path} ${cookie}`).toBe(303);
        expect(res.headers.get("location")).toBe("/account/sign-in");
      }
    }
  });

  it("list the person's organizations and roles, never another person's, with the CSRF token in a meta tag", async () => {
    const now = h.clock.now();
    const alice = await signInForTest(h.pool, "alice@pages.test", now, {
      organization: "pages-acme",
      role: "owner",
    });
    await signInForTest(h.pool, "mallory@pages.test", now, { organization: "pages-secret", role: "owner" });
    await h.pool.query(
      "INSERT INTO organizations (slug, owner_user_id, created_at) VALUES ('pages-beta', $1, $2)",
      [alice.userId, now],
    );
    await h.pool.query(
      "INSERT INTO memberships (organization, user_id, role, created_at) VALUES ('pages-beta', $1, 'viewer', $2)",
      [alice.userId, now],
    );
    const res = await get("/account/", { cookie: alice.cookie });
    expect(res.status).toBe(200);
    const body = await res.text();
    expect(body).toContain("pages-acme");
    expect(body).toMatch(/pages-acme<\/code><\/a><\/th><td>Owner/);
    expect(body).toMatch(/pages-beta<\/code><\/a><\/th><td>Viewer/);
    expect(body).toContain('<a href="/account/organizations/pages-acme">');
    expect(body).not.toContain("pages-secret");
    expect(body).toContain(`<meta name="csrf-token" content="${alice.csrfToken}">`);
    expect(body).toContain("alice@pages.test");
  });

  it("tell a person without organizations how they get one", async () => {
    const bob = await signInForTest(h.pool, "bob@pages.test", h.clock.now());
    const body = await (await get("/account/", { cookie: bob.cookie })).text();
    expect(body).toContain("You do not belong to any organization yet");
  });

  it("send a signed-in person from the sign-in page to their home", async () => {
    const carol = await signInForTest(h.pool, "carol@pages.test", h.clock.now());
    const res = await get("/account/sign-in", { cookie: carol.cookie });
    expect(res.status).toBe(303);
    expect(res.headers.get("location")).toBe("/account/");
  });
});

describe("emailed links' landing pages", () => {
  it("show a button posting the magic-link token and consume nothing on GET", async () => {
    const token = newToken();
    const now = h.clock.now();
    await h.pool.query(
      "INSERT INTO magic_links (token_hash, email, created_at, expires_at) VALUES ($1, 'dave@pages.test', $2, $3)",
      [hashToken(token), now, new Date(now.getTime() + 15 * 60_000)],
    );
    for (let i = 0; i < 2; i++) {
      const res = await get(`/account/sign-in/verify?token=${token}`);
      expect(res.status).toBe(200);
      const body = await res.text();
      expect(body).toContain('data-api="/v1/account/sign-in/email/verify"');
      expect(body).toContain(`<input type="hidden" name="token" value="${token}">`);
    }
    const link = await h.pool.query("SELECT used_at FROM magic_links WHERE token_hash = $1", [
      hashToken(token),
    ]);
    expect(link.rows[0].used_at).toBeNull();
    expect(
      (
        await h.pool.query(
          "SELECT count(*)::int AS n FROM account_sessions s JOIN users u ON u.id = s.user_id WHERE u.email = 'dave@pages.test'",
        )
      ).rows[0].n,
    ).toBe(0);
  });

  it("show the invitation button with the token and, when signed in, whom the invitation will join", async () => {
    const token = newToken();
    const anonymous = await (await get(`/account/invitations/accept?token=${token}`)).text();
    expect(anonymous).toContain('data-api="/v1/account/invitations/accept"');
    expect(anonymous).toContain(`value="${token}"`);
    expect(anonymous).not.toContain("csrf-token");
    const erin = await signInForTest(h.pool, "erin@pages.test", h.clock.now());
    const signedIn = await (
      await get(`/account/invitations/accept?token=${token}`, { cookie: erin.cookie })
    ).text();
    expect(signedIn).toContain("You will join as <strong>erin@pages.test</strong>");
    expect(signedIn).toContain(`<meta name="csrf-token" content="${erin.csrfToken}">`);
  });

  it("refuse a missing or malformed token with 400 and advice, echoing nothing unescaped", async () => {
    for (const path of [
      "/account/sign-in/verify",
      "/account/sign-in/verify?token=short",
      `/account/sign-in/verify?token=${encodeURIComponent('"><script>alert(1)</script>aaaaaaaaaaaaaaaaaaaa')}`,
      "/account/sign-in/verify?token=a&token=b",
      "/account/invitations/accept",
      `/account/invitations/accept?token=${encodeURIComponent("<img src=x onerror=alert(1)>")}`,
    ]) {
      const res = await get(path);
      expect(res.status, path).toBe(400);
      const body = await res.text();
      expect(body, path).toMatch(/link is incomplete/);
      expect(body, path).not.toMatch(/<script>alert|<img src=x/);
    }
  });
});

describe("escaping", () => {
  it("escapes an email from the database (the schema allows quotes and angle brackets in it)", async () => {
    const frank = await signInForTest(h.pool, `o'neil+<b>x</b>"@pages.test`, h.clock.now());
    const body = await (await get("/account/", { cookie: frank.cookie })).text();
    expect(body).toContain("o&#39;neil+&lt;b&gt;x&lt;/b&gt;&quot;@pages.test");
    expect(body).not.toContain("<b>x</b>");
  });

  it("escapes the path of an unknown page", async () => {
    const body = await (await get("/account/%3Cscript%3Ealert(1)%3C%2Fscript%3E")).text();
    expect(body).not.toContain("<script>alert(1)</script>");
    expect(body).toContain("&lt;script&gt;");
  });
});
