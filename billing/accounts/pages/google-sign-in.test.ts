/**
 * The pages' "Sign in with Google" (OIDC code flow, ADR 0286) over HTTP through the real app and real
 * PostgreSQL, against the fake Google's authorization and token endpoints: the start (state, nonce, PKCE in
 * a short-lived cookie), the success (same user and session as POST /v1/account/sign-in/google), and every
 * refusal — Google's access_denied, a missing, foreign or expired state, Google refusing or failing the code
 * exchange, a bad ID token (forged, unverified email, another request's nonce) — each a 4xx (or 502 when
 * Google is down) sign-in page with the reason, creating nothing.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import {
  type FakeGoogleIdentity,
  startFakeGoogleIdentity,
} from "../../../test-support/fake-google-identity/index.js";
import { type BillingHarness, startBillingHarness } from "../../testing/harness.js";
import {
  codeChallenge,
  GOOGLE_FLOW_COOKIE,
  GOOGLE_FLOW_LIFETIME_MS,
  readPending,
} from "../auth/google-code-flow.js";
import { call, cookieFrom } from "../testing/client.js";

const CLIENT_ID = "coditect-pages.apps.googleusercontent.com";
const CLIENT_SECRET = "GOCSPX-pages-test-0123456789abcdef";
const CALLBACK = "http://billing.test/account/sign-in/google/callback";

let google: FakeGoogleIdentity;
let h: BillingHarness;
const secretDir = mkdtempSync(join(tmpdir(), "google-client-secret-"));

beforeAll(async () => {
  google = await startFakeGoogleIdentity({ now: () => h.clock.now() });
  writeFileSync(join(secretDir, "account-google-client-secret"), `${CLIENT_SECRET}\n`);
  h = await startBillingHarness({
    env: {
      ACCOUNT_GOOGLE_CLIENT_ID: CLIENT_ID,
      ACCOUNT_GOOGLE_JWKS_URL: google.jwksUrl,
      // As the Deployment mounts it (components/control-plane/billing.ts).
      ACCOUNT_GOOGLE_CLIENT_SECRET_FILE: join(secretDir, "account-google-client-secret"),
      ACCOUNT_GOOGLE_AUTHORIZATION_URL: google.authorizationUrl,
      ACCOUNT_GOOGLE_TOKEN_URL: google.tokenUrl,
    },
  });
  google.registerOAuthClient({ clientId: CLIENT_ID, clientSecret: CLIENT_SECRET, redirectUris: [CALLBACK] });
});
afterAll(async () => {
  await h?.stop();
  await google?.stop();
  rmSync(secretDir, { recursive: true, force: true });
});
beforeEach(() => google.consent({ email: "grace@pages-google.test" }));

interface Started {
  /** `name=value` of the pending sign-in cookie, as the browser sends it back. */
  cookie: string;
  setCookie: string;
  authorize: URL;
}

async function start(): Promise<Started> {
  const res = await fetch(`${h.url}/account/sign-in/google`, { redirect: "manual" });
  expect(res.status).toBe(303);
  const setCookie = res.headers.get("set-cookie")!;
  return { cookie: cookieFrom(setCookie), setCookie, authorize: new URL(res.headers.get("location")!) };
}

/** Follows the authorization URL at the fake Google; returns the callback URL (on the harness's address). */
async function atGoogle(authorize: URL): Promise<URL> {
  const res = await fetch(authorize, { redirect: "manual" });
  expect(res.status).toBe(302);
  const back = new URL(res.headers.get("location")!);
  expect(`${back.origin}${back.pathname}`).toBe(CALLBACK);
  return new URL(`${back.pathname}${back.search}`, h.url);
}

async function callback(url: URL | string, cookie?: string) {
  const res = await fetch(url, { redirect: "manual", headers: cookie ? { cookie } : {} });
  return {
    status: res.status,
    location: res.headers.get("location"),
    setCookies: res.headers.getSetCookie(),
    page: await res.text(),
  };
}

async function counts() {
  const { rows } = await h.pool.query<{ users: number; sessions: number }>(
    "SELECT (SELECT count(*)::int FROM users) AS users, (SELECT count(*)::int FROM account_sessions) AS sessions",
  );
  return rows[0]!;
}

const clearsFlowCookie = (setCookies: string[]) =>
  setCookies.some((c) => c.startsWith(`${GOOGLE_FLOW_COOKIE}=;`) && c.includes("Max-Age=0"));

describe("the sign-in page", () => {
  it("offers Sign in with Google as a plain link when the client id and secret are configured", async () => {
    const page = await (await fetch(`${h.url}/account/sign-in`)).text();
    expect(page).toContain('<a class="button-google" href="/account/sign-in/google">Sign in with Google</a>');
    expect(page).not.toMatch(/accounts\.google\.com|gsi\/client/); // no Google script or resource
  });

  it("without a client secret: no link, and the start answers 404 with the email form", async () => {
    const configured = h.deps.config.accountGoogle!;
    h.deps.config.accountGoogle = { clientId: configured.clientId, jwks: configured.jwks };
    try {
      expect(await (await fetch(`${h.url}/account/sign-in`)).text()).not.toContain("/account/sign-in/google");
      const res = await fetch(`${h.url}/account/sign-in/google`, { redirect: "manual" });
      expect(res.status).toBe(404);
      const page = await res.text();
      expect(page).toContain("Sign-in with Google is not available here");
      expect(page).toContain('data-api="/v1/account/sign-in/email"');
      expect(res.headers.get("set-cookie")).toBeNull();
    } finally {
      h.deps.config.accountGoogle = configured;
    }
  });
});

describe("starting", () => {
  it("sends the browser to Google with code, openid email, the callback, a state, a nonce and a PKCE S256 challenge", async () => {
    const { authorize, setCookie, cookie } = await start();
    expect(`${authorize.origin}${authorize.pathname}`).toBe(google.authorizationUrl);
    const q = Object.fromEntries(authorize.searchParams);
    const pending = readPending(cookie.slice(GOOGLE_FLOW_COOKIE.length + 1))!;
    expect(q).toEqual({
      client_id: CLIENT_ID,
      redirect_uri: CALLBACK,
      response_type: "code",
      scope: "openid email",
      state: pending.state,
      nonce: pending.nonce,
      code_challenge: codeChallenge(pending.verifier),
      code_challenge_method: "S256",
      prompt: "select_account",
    });
    // The verifier never leaves the browser's cookie and billing; state, nonce and verifier are distinct.
    expect(authorize.toString()).not.toContain(pending.verifier);
    expect(new Set([pending.state, pending.nonce, pending.verifier]).size).toBe(3);
    expect(pending.expiresAt).toBe(h.clock.now().getTime() + GOOGLE_FLOW_LIFETIME_MS);
    expect(setCookie).toMatch(
      new RegExp(
        `^${GOOGLE_FLOW_COOKIE}=[\\w-]+; Path=/account/sign-in/google; Max-Age=600; HttpOnly; Secure; SameSite=Lax$`,
      ),
    );
    const again = readPending((await start()).cookie.slice(GOOGLE_FLOW_COOKIE.length + 1))!;
    expect(again.state).not.toBe(pending.state);
    expect(again.nonce).not.toBe(pending.nonce);
  });
});

describe("Google's answer", () => {
  it("signs in: exchanges the code with the secret and verifier, creates the verified user and a Google session, lands on /account/", async () => {
    google.consent({ email: "Grace@Pages-Google.test" });
    const before = await counts();
    const { authorize, cookie } = await start();
    const answered = await callback(await atGoogle(authorize), cookie);
    expect(answered.status).toBe(303);
    expect(answered.location).toBe("/account/");
    expect(clearsFlowCookie(answered.setCookies)).toBe(true);
    const session = answered.setCookies.find((c) => c.startsWith("coditect_account="))!;
    expect(session).toMatch(
      /^coditect_account=[\w-]{43}; Path=\/; Max-Age=604800; HttpOnly; Secure; SameSite=Lax$/,
    );

    const exchange = google.tokenRequests.at(-1)!;
    expect(exchange.status).toBe(200);
    const pending = readPending(cookie.slice(GOOGLE_FLOW_COOKIE.length + 1))!;
    expect(exchange.params).toMatchObject({
      grant_type: "authorization_code",
      client_id: CLIENT_ID,
      client_secret: CLIENT_SECRET,
      redirect_uri: CALLBACK,
      code_verifier: pending.verifier,
    });

    expect(await counts()).toEqual({ users: before.users + 1, sessions: before.sessions + 1 });
    const user = await h.pool.query(
      `SELECT u.email, u.email_verified_at IS NOT NULL AS verified, s.method
         FROM users u JOIN account_sessions s ON s.user_id = u.id WHERE u.email = $1`,
      ["grace@pages-google.test"],
    );
    expect(user.rows).toEqual([{ email: "grace@pages-google.test", verified: true, method: "google" }]);
    const me = await call(h, "GET", "/me", { headers: { cookie: cookieFrom(session) } });
    expect(me.body.user.email).toBe("grace@pages-google.test");
    const home = await fetch(`${h.url}/account/`, { headers: { cookie: cookieFrom(session) } });
    expect(home.status).toBe(200);
    expect(await home.text()).toContain("grace@pages-google.test");
  });

  it("signs an existing user in to their own account (the same user as the email link would)", async () => {
    google.consent({ email: "grace@pages-google.test" });
    const { authorize, cookie } = await start();
    const before = await counts();
    expect((await callback(await atGoogle(authorize), cookie)).status).toBe(303);
    expect(await counts()).toEqual({ users: before.users, sessions: before.sessions + 1 });
  });

  describe("refused, nothing created", () => {
    let before: { users: number; sessions: number };
    beforeEach(async () => {
      before = await counts();
    });
    const refused = async (answer: Awaited<ReturnType<typeof callback>>, status: number, message: string) => {
      expect(answer.status).toBe(status);
      expect(answer.page).toContain('role="alert"');
      expect(answer.page).toContain(message);
      // The sign-in page again, with both ways to sign in.
      expect(answer.page).toContain('href="/account/sign-in/google"');
      expect(answer.page).toContain('data-api="/v1/account/sign-in/email"');
      expect(answer.setCookies.some((c) => c.startsWith("coditect_account="))).toBe(false);
      expect(clearsFlowCookie(answer.setCookies)).toBe(true);
      expect(await counts()).toEqual(before);
    };

    it("when the person cancels at Google (error=access_denied)", async () => {
      google.consent("deny");
      const { authorize, cookie } = await start();
      const url = await atGoogle(authorize);
      expect(url.searchParams.get("error")).toBe("access_denied");
      await refused(await callback(url, cookie), 401, "You did not let Google share your account");
    });

    it("when another error comes back from Google", async () => {
      const { cookie } = await start();
      await refused(
        await callback(`${h.url}/account/sign-in/google/callback?error=<b>server_error</b>`, cookie),
        400,
        "Google refused the sign-in (&lt;b&gt;server_error&lt;/b&gt;)",
      );
    });

    it("when the browser has no pending sign-in (not started here: login CSRF)", async () => {
      const { authorize } = await start();
      const url = await atGoogle(authorize);
      await refused(await callback(url), 400, "was not started in this browser");
      expect(google.tokenRequests.at(-1)?.params.code).not.toBe(url.searchParams.get("code"));
    });

    it("when the state is another sign-in's (an attacker's code in the victim's browser)", async () => {
      const attacker = await start();
      const attackerCallback = await atGoogle(attacker.authorize);
      const victim = await start();
      await refused(
        await callback(attackerCallback, victim.cookie),
        400,
        "does not belong to the sign-in started in this browser",
      );
    });

    it("when the state is missing, or the pending sign-in is damaged", async () => {
      const { authorize, cookie } = await start();
      const url = await atGoogle(authorize);
      url.searchParams.delete("state");
      await refused(
        await callback(url, cookie),
        400,
        "does not belong to the sign-in started in this browser",
      );
      await refused(
        await callback(await atGoogle((await start()).authorize), `${GOOGLE_FLOW_COOKIE}=not-ours`),
        400,
        "was not started in this browser",
      );
    });

    it("when the code is missing", async () => {
      const { authorize, cookie } = await start();
      const url = await atGoogle(authorize);
      url.searchParams.delete("code");
      await refused(await callback(url, cookie), 400, "carries no sign-in code");
    });

    it("when the sign-in took longer than 10 minutes", async () => {
      const { authorize, cookie } = await start();
      const url = await atGoogle(authorize);
      h.clock.advance(GOOGLE_FLOW_LIFETIME_MS);
      await refused(await callback(url, cookie), 400, "took longer than 10 minutes");
    });

    it("when Google refuses the code (used twice: a replayed callback)", async () => {
      const { authorize, cookie } = await start();
      const url = await atGoogle(authorize);
      expect((await callback(url, cookie)).status).toBe(303);
      before = await counts();
      const replay = await callback(url, cookie);
      expect(google.tokenRequests.at(-1)).toMatchObject({ status: 400 });
      await refused(replay, 401, "Google refused the sign-in code (invalid_grant)");
    });

    it("when the token endpoint fails (502) or refuses the client (401)", async () => {
      let { authorize, cookie } = await start();
      google.failNextTokenRequest(503);
      await refused(await callback(await atGoogle(authorize), cookie), 502, "try again in a minute");
      ({ authorize, cookie } = await start());
      google.failNextTokenRequest(401, { error: "invalid_client" });
      await refused(await callback(await atGoogle(authorize), cookie), 401, "(invalid_client)");
    });

    it("when the ID token is forged, the email unverified, or the nonce another request's", async () => {
      const cases = [
        [{ email: "forged@pages-google.test", forged: true }, "the Google ID token was refused (signature)"],
        [{ email: "unverified@pages-google.test", emailVerified: false }, "Google has not verified"],
        [
          { email: "replayed@pages-google.test", claims: { nonce: "another-requests-nonce" } },
          "the Google ID token was refused (nonce)",
        ],
      ] as const;
      for (const [consent, message] of cases) {
        google.consent(consent);
        const { authorize, cookie } = await start();
        await refused(await callback(await atGoogle(authorize), cookie), 401, message);
      }
    });
  });
});
