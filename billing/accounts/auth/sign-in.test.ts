/**
 * Customer sign-in through the real app and PostgreSQL: magic links (one use, 15 minutes, hashed, no
 * enumeration, rate-limited per address and per client IP), Google ID tokens (signed by the local stand-in
 * for Google's keys, fetched over HTTP as in production), sign-out and GET /me.
 */
import type { Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  type FakeGoogleIdentity,
  startFakeGoogleIdentity,
} from "../../../test-support/fake-google-identity/index.js";
import { createApp } from "../../app.js";
import { type BillingHarness, startBillingHarness } from "../../testing/harness.js";
import { hashToken } from "../account-session.js";
import { call, cookieFrom, mailedLink } from "../testing/client.js";
import { signInForTest } from "../testing/sign-in.js";
import { MAGIC_LINK_LIFETIME_MS, magicLinkProblem } from "./magic-link.js";
import { SIGN_IN_RATE_LIMITS } from "./router.js";

const CLIENT_ID = "coditect-accounts.apps.googleusercontent.com";
let h: BillingHarness;
let google: FakeGoogleIdentity;

beforeAll(async () => {
  google = await startFakeGoogleIdentity();
  h = await startBillingHarness({
    env: { ACCOUNT_GOOGLE_CLIENT_ID: CLIENT_ID, ACCOUNT_GOOGLE_JWKS_URL: google.jwksUrl },
  });
});
afterAll(async () => {
  await h.stop();
  await google.stop();
});

/** A fresh rate-limit window for each test (the clock is shared with the app). */
const nextWindow = () => h.clock.advance(SIGN_IN_RATE_LIMITS.ip.windowMs);

describe("magic link", () => {
  it("mails a one-time link, signs in once with it (user created, verified), and stores only hashes", async () => {
    nextWindow();
    const requested = await call(h, "POST", "/sign-in/email", { body: { email: "New.Person@Example.com" } });
    expect(requested.status).toBe(202);
    const { url, token } = await mailedLink(h, "sign_in_link", "new.person@example.com");
    expect(url).toBe(`http://billing.test/account/sign-in/verify?token=${token}`);
    const stored = await h.pool.query("SELECT token_hash FROM magic_links WHERE email = $1", [
      "new.person@example.com",
    ]);
    expect(stored.rows).toEqual([{ token_hash: hashToken(token) }]);

    const verified = await call(h, "POST", "/sign-in/email/verify", { body: { token } });
    expect(verified.status).toBe(200);
    expect(verified.body.user.email).toBe("new.person@example.com");
    const setCookie = verified.headers.get("set-cookie")!;
    expect(setCookie).toMatch(
      /^coditect_account=[\w-]{43}; Path=\/; Max-Age=604800; HttpOnly; Secure; SameSite=Lax$/,
    );
    const user = await h.pool.query("SELECT email_verified_at FROM users WHERE email = $1", [
      "new.person@example.com",
    ]);
    expect(user.rows[0].email_verified_at).not.toBeNull();

    const me = await call(h, "GET", "/me", { headers: { cookie: cookieFrom(setCookie) } });
    expect(me.status).toBe(200);
    expect(me.body).toEqual({
      user: verified.body.user,
      csrfToken: verified.body.csrfToken,
      organizations: [],
    });

    const again = await call(h, "POST", "/sign-in/email/verify", { body: { token } });
    expect(again.status).toBe(401);
    expect(again.body.error.code).toBe("link_used");
    expect(again.headers.get("set-cookie")).toBeNull();
  });

  it("refuses an expired link (link_expired) and an unknown one (link_invalid)", async () => {
    nextWindow();
    await call(h, "POST", "/sign-in/email", { body: { email: "late@example.com" } });
    const { token } = await mailedLink(h, "sign_in_link", "late@example.com");
    h.clock.advance(MAGIC_LINK_LIFETIME_MS);
    const late = await call(h, "POST", "/sign-in/email/verify", { body: { token } });
    expect([late.status, late.body.error.code]).toEqual([401, "link_expired"]);
    const unknown = await call(h, "POST", "/sign-in/email/verify", { body: { token: "x".repeat(43) } });
    expect([unknown.status, unknown.body.error.code]).toEqual([401, "link_invalid"]);
  });

  it("decides a link's problem from its row (pure)", () => {
    const now = new Date("2026-06-01T00:00:00Z");
    const later = new Date(now.getTime() + 1);
    expect(magicLinkProblem({ expires_at: later, used_at: null }, now)).toBeUndefined();
    expect(magicLinkProblem(undefined, now)?.code).toBe("link_invalid");
    expect(magicLinkProblem({ expires_at: later, used_at: now }, now)?.code).toBe("link_used");
    expect(magicLinkProblem({ expires_at: now, used_at: null }, now)?.code).toBe("link_expired");
  });

  it("answers a known and an unknown address alike (no account enumeration)", async () => {
    nextWindow();
    const known = await signInForTest(h.pool, "known@example.com", h.clock.now());
    const a = await call(h, "POST", "/sign-in/email", { body: { email: known.email } });
    const b = await call(h, "POST", "/sign-in/email", { body: { email: "nobody@example.com" } });
    expect([a.status, b.status]).toEqual([202, 202]);
    expect(a.body).toEqual(b.body);
    // Both get a link: an unknown address signs up by following it.
    expect((await mailedLink(h, "sign_in_link", "nobody@example.com")).count).toBe(1);
  });

  it("limits requests per address, whatever the spelling of the address, then per client IP", async () => {
    nextWindow();
    const { limit } = SIGN_IN_RATE_LIMITS.address;
    for (let n = 0; n < limit; n++) {
      const email = n % 2 ? "victim@example.com" : "Victim@Example.COM";
      expect((await call(h, "POST", "/sign-in/email", { body: { email } })).status).toBe(202);
    }
    const refused = await call(h, "POST", "/sign-in/email", { body: { email: "victim@example.com" } });
    expect(refused.status).toBe(429);
    expect(refused.body.error.code).toBe("rate_limited");
    expect(Number(refused.headers.get("retry-after"))).toBeGreaterThan(0);
    expect((await mailedLink(h, "sign_in_link", "victim@example.com")).count).toBe(limit);

    nextWindow();
    for (let n = 0; n < SIGN_IN_RATE_LIMITS.ip.limit; n++) {
      const res = await call(h, "POST", "/sign-in/email", { body: { email: `ip${n}@example.com` } });
      expect(res.status).toBe(202);
    }
    const ipRefused = await call(h, "POST", "/sign-in/email", { body: { email: "one-more@example.com" } });
    expect([ipRefused.status, ipRefused.body.error.code]).toEqual([429, "rate_limited"]);
  });

  it("refuses bad input naming the field, and a request from another site", async () => {
    nextWindow();
    const cases: [string, unknown, RegExp][] = [
      ["/sign-in/email", {}, /email/],
      ["/sign-in/email", { email: "not-an-email" }, /email: must be an email address/],
      ["/sign-in/email", { email: "a@b.test", extra: 1 }, /extra/],
      ["/sign-in/email/verify", {}, /token/],
      ["/sign-in/email/verify", { token: "" }, /token: is required/],
      ["/sign-in/google", {}, /idToken/],
    ];
    for (const [path, body, message] of cases) {
      const res = await call(h, "POST", path, { body });
      expect([res.status, res.body.error.code], path).toEqual([400, "invalid_request"]);
      expect(res.body.error.message).toMatch(message);
    }
    const foreign = await call(h, "POST", "/sign-in/email", {
      body: { email: "a@b.test" },
      headers: { origin: "https://evil.test" },
    });
    expect([foreign.status, foreign.body.error.code]).toEqual([403, "csrf_failed"]);
    const ours = await call(h, "POST", "/sign-in/email", {
      body: { email: "a@b.test" },
      headers: { origin: "http://billing.test" },
    });
    expect(ours.status).toBe(202);
  });
});

describe("Google ID token", () => {
  const token = (o: Partial<Parameters<FakeGoogleIdentity["idToken"]>[0]> = {}) =>
    google.idToken({ email: "G.User@Example.com", audience: CLIENT_ID, now: h.clock.now(), ...o });

  it("signs in a verified Google account (created verified) and sets the session cookie", async () => {
    const res = await call(h, "POST", "/sign-in/google", { body: { idToken: await token() } });
    expect(res.status).toBe(200);
    expect(res.body.user.email).toBe("g.user@example.com");
    const me = await call(h, "GET", "/me", {
      headers: { cookie: cookieFrom(res.headers.get("set-cookie")) },
    });
    expect(me.body.user.email).toBe("g.user@example.com");
    const session = await h.pool.query(
      "SELECT s.method FROM account_sessions s JOIN users u ON u.id = s.user_id WHERE u.email = $1",
      ["g.user@example.com"],
    );
    expect(session.rows).toEqual([{ method: "google" }]);
  });

  it("refuses an unverified email, another audience, a forged signature and an expired token", async () => {
    const cases: [string, string, string][] = [
      ["unverified", await token({ emailVerified: false }), "email_not_verified"],
      [
        "audience",
        await token({ audience: "someone-else.apps.googleusercontent.com" }),
        "google_token_invalid",
      ],
      [
        "forged",
        await google.forgedIdToken({ email: "x@example.com", audience: CLIENT_ID, now: h.clock.now() }),
        "google_token_invalid",
      ],
      [
        "expired",
        await token({ now: new Date(h.clock.now().getTime() - 2 * 3600_000) }),
        "google_token_invalid",
      ],
      ["garbage", "not.a.jwt", "google_token_invalid"],
    ];
    for (const [name, idToken, code] of cases) {
      const res = await call(h, "POST", "/sign-in/google", { body: { idToken } });
      expect([res.status, res.body.error.code], name).toEqual([401, code]);
      expect(res.headers.get("set-cookie"), name).toBeNull();
    }
  });

  it("answers 404 google_sign_in_not_configured without ACCOUNT_GOOGLE_CLIENT_ID", async () => {
    const app = createApp({ ...h.deps, config: { ...h.deps.config, accountGoogle: undefined } });
    const server: Server = app.listen(0, "127.0.0.1");
    await new Promise((resolve) => server.once("listening", resolve));
    try {
      const port = (server.address() as AddressInfo).port;
      const res = await fetch(`http://127.0.0.1:${port}/v1/account/sign-in/google`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ idToken: await token() }),
      });
      expect(res.status).toBe(404);
      expect(((await res.json()) as { error: { code: string } }).error.code).toBe(
        "google_sign_in_not_configured",
      );
    } finally {
      server.closeAllConnections();
      server.close();
    }
  });
});

describe("sign-out and /me", () => {
  it("lists the person's organizations with their role", async () => {
    const now = h.clock.now();
    const alice = await signInForTest(h.pool, "alice@me.test", now, {
      organization: "me-one",
      role: "owner",
    });
    await signInForTest(h.pool, "alice@me.test", now, { organization: "me-two", role: "viewer" });
    const me = await call(h, "GET", "/me", { as: alice });
    expect(me.body.organizations).toEqual([
      { slug: "me-one", role: "owner" },
      { slug: "me-two", role: "viewer" },
    ]);
    expect(me.body.csrfToken).toBe(alice.csrfToken);
    expect((await call(h, "GET", "/me")).status).toBe(401);
  });

  it("ends the session and clears the cookie; needs the CSRF token", async () => {
    const bob = await signInForTest(h.pool, "bob@me.test", h.clock.now());
    const forged = await call(h, "POST", "/sign-out", { headers: { cookie: bob.cookie } });
    expect([forged.status, forged.body.error.code]).toEqual([403, "csrf_failed"]);
    const out = await call(h, "POST", "/sign-out", { as: bob });
    expect(out.status).toBe(204);
    expect(out.headers.get("set-cookie")).toMatch(/^coditect_account=; Path=\/; Max-Age=0; HttpOnly/);
    expect((await call(h, "GET", "/me", { as: bob })).status).toBe(401);
    expect((await call(h, "POST", "/sign-out", { as: bob })).status).toBe(401);
  });
});
