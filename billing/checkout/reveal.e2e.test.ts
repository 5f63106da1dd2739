/**
 * Issue 13 §9 through the real app, the fake Stripe and the Stripe SDK: the one-time key reveal is a POST
 * from the success page, bound to the browser that started the checkout (its nonce cookie), Origin-checked,
 * once, until 24 h after the purchase. GETs — the success redirect, link scanners, prefetch — never
 * consume it.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { hashLicenseKey, LICENSE_KEY_PATTERN } from "../licenses/keys.js";
import { type BillingHarness, eventsById, startBillingHarness } from "../testing/harness.js";
import { hashRevealNonce, revealCookieName } from "./reveal.js";

const ORIGIN = "http://billing.test"; // the harness's PUBLIC_BASE_URL
let h: BillingHarness;
beforeAll(async () => {
  h = await startBillingHarness();
});
afterAll(() => h?.stop());

interface Checkout {
  sessionId: string;
  /** `name=value`, as the browser sends it back. */
  cookie: string;
  setCookie: string;
}

/** A browser starts a checkout (POST /v1/checkout) and pays; the webhook fulfils unless told otherwise. */
async function purchase(organization: string, options: { webhook?: boolean } = {}): Promise<Checkout> {
  const res = await fetch(`${h.url}/v1/checkout`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({
      organization,
      customerEmail: `dev@${organization}.test`,
      items: [{ product: "pro", quantity: 1 }],
    }),
  });
  expect(res.status).toBe(201);
  const { checkoutSessionId } = (await res.json()) as { checkoutSessionId: string };
  const setCookie = res.headers.getSetCookie()[0]!;
  const completed = h.fake.store.completeCheckout(checkoutSessionId);
  if (options.webhook !== false) {
    const event = completed.events.find((e) => e.type === "checkout.session.completed")!;
    expect((await h.sendEvent(eventsById(h.fake, [event.id])[0])).status).toBe(200);
  }
  return { sessionId: checkoutSessionId, cookie: setCookie.split(";")[0]!, setCookie };
}

const successUrl = (c: Checkout) => `${h.url}/v1/checkout/success?session_id=${c.sessionId}`;

function reveal(c: Checkout, headers: Record<string, string> = { origin: ORIGIN, cookie: c.cookie }) {
  return fetch(successUrl(c), { method: "POST", headers: { accept: "application/json", ...headers } });
}

// biome-ignore lint/suspicious/noExplicitAny: response bodies are arbitrary JSON the tests assert on
const body = async (res: Response): Promise<any> => res.json();

/** Everything a reveal could change: the license row (key hash included) and the audit log. */
async function state(c: Checkout) {
  const license = await h.pool.query("SELECT * FROM licenses WHERE stripe_checkout_session_id = $1", [
    c.sessionId,
  ]);
  const audits = await h.pool.query("SELECT count(*)::int AS n FROM audit_events");
  return { license: license.rows[0], audits: audits.rows[0].n as number };
}

describe("the reveal cookie", () => {
  it("is HttpOnly, Secure, SameSite=Strict, scoped to the success path; only its hash is stored", async () => {
    const c = await purchase("cookieco");
    expect(c.setCookie).toMatch(new RegExp(`^${revealCookieName(c.sessionId)}=[\\w-]{43}; `));
    for (const attribute of [
      "Path=/v1/checkout/success",
      "HttpOnly",
      "Secure",
      "SameSite=Strict",
      "Max-Age=",
    ])
      expect(c.setCookie).toContain(attribute);
    const nonce = c.cookie.split("=")[1]!;
    const stored = await h.pool.query(
      "SELECT nonce_hash FROM checkout_reveal_nonces WHERE checkout_session_id = $1",
      [c.sessionId],
    );
    expect(stored.rows).toEqual([{ nonce_hash: hashRevealNonce(nonce) }]);
  });
});

describe("GET /v1/checkout/success", () => {
  it("shows the purchase and the reveal button, never the key, and changes nothing", async () => {
    const c = await purchase("getco");
    const before = await state(c);
    const json = await fetch(successUrl(c), { headers: { cookie: c.cookie } });
    expect(json.status).toBe(200);
    expect(json.headers.get("cache-control")).toBe("no-store");
    const view = await body(json);
    expect(view).toMatchObject({
      keyRevealed: false,
      reveal: {
        method: "POST",
        url: `${ORIGIN}/v1/checkout/success?session_id=${c.sessionId}`,
        available: true,
      },
    });
    expect(view.licenseKey).toBeUndefined();
    expect(JSON.stringify(view)).not.toMatch(/CODITECT-/);

    const page = await fetch(successUrl(c), { headers: { accept: "text/html", cookie: c.cookie } });
    expect(page.headers.get("content-type")).toMatch(/^text\/html/);
    const html = await page.text();
    expect(html).toContain(
      `<form method="post" action="${ORIGIN}/v1/checkout/success?session_id=${c.sessionId}">`,
    );
    expect(html).not.toMatch(/CODITECT-/);
    expect(await state(c)).toEqual(before);
  });

  it("a link scanner's or prefetcher's GETs (with the cookie, HEAD too) never consume the reveal", async () => {
    const c = await purchase("scanco");
    const before = await state(c);
    for (const headers of [
      {},
      { cookie: c.cookie },
      { purpose: "prefetch", "sec-purpose": "prefetch", cookie: c.cookie },
      { "user-agent": "Mozilla/5.0 (compatible; SafeLinks)" },
    ]) {
      expect((await fetch(successUrl(c), { headers })).status).toBe(200);
      expect((await fetch(successUrl(c), { method: "HEAD", headers })).status).toBe(200);
    }
    expect(await state(c)).toEqual(before);
    expect(before.license.key_hash).toBeNull();
    const revealed = await reveal(c);
    expect(revealed.status).toBe(200);
    expect((await body(revealed)).licenseKey).toMatch(LICENSE_KEY_PATTERN);
  });
});

describe("POST /v1/checkout/success (the reveal)", () => {
  it("reveals the key once to the browser holding the cookie; the second POST is 410", async () => {
    const c = await purchase("onceco");
    const first = await reveal(c);
    expect(first.status).toBe(200);
    expect(first.headers.get("cache-control")).toBe("no-store");
    const { licenseKey, license } = await body(first);
    expect(licenseKey).toMatch(LICENSE_KEY_PATTERN);
    expect((await state(c)).license.key_hash).toBe(hashLicenseKey(licenseKey));
    const audits = await h.pool.query(
      "SELECT count(*)::int AS n FROM audit_events WHERE before::text LIKE $1 OR after::text LIKE $1 OR details::text LIKE $1",
      [`%${licenseKey}%`],
    );
    expect(audits.rows[0].n).toBe(0);

    const before = await state(c);
    const second = await reveal(c);
    expect(second.status).toBe(410);
    const { error } = await body(second);
    expect(error.code).toBe("key_already_revealed");
    expect(error.message).toMatch(/contact support/);
    expect(await state(c)).toEqual(before);
    const after = await body(await fetch(successUrl(c)));
    expect(after).toMatchObject({
      keyRevealed: true,
      reveal: { available: false },
      license: { id: license.id },
    });
  });

  it.each([
    ["no cookie", (_c: Checkout) => ({ origin: ORIGIN }), "reveal_cookie_missing"],
    [
      "a forged cookie",
      (c: Checkout) => ({ origin: ORIGIN, cookie: `${revealCookieName(c.sessionId)}=forged` }),
      "reveal_cookie_mismatch",
    ],
    ["no Origin", (c: Checkout) => ({ cookie: c.cookie }), "origin_mismatch"],
    [
      "another site's Origin",
      (c: Checkout) => ({ origin: "https://evil.example", cookie: c.cookie }),
      "origin_mismatch",
    ],
  ])("with %s: 403, and the key is still revealable", async (_label, headers, code) => {
    const c = await purchase(`refuse-${code.replace(/_/g, "-")}-${_label.length}`);
    const before = await state(c);
    const res = await reveal(c, headers(c));
    expect(res.status).toBe(403);
    expect((await body(res)).error.code).toBe(code);
    expect(await state(c)).toEqual(before);
    expect((await reveal(c)).status).toBe(200);
  });

  it("another checkout's cookie does not reveal this one's key", async () => {
    const mine = await purchase("mineco");
    const theirs = await purchase("theirsco");
    const res = await reveal(theirs, {
      origin: ORIGIN,
      cookie: `${revealCookieName(theirs.sessionId)}=${mine.cookie.split("=")[1]}`,
    });
    expect(res.status).toBe(403);
    expect((await body(res)).error.code).toBe("reveal_cookie_mismatch");
  });

  it("24 h after the purchase: 410 key_reveal_expired, nothing issued, the message says what to do", async () => {
    const c = await purchase("lateco");
    h.clock.advance(24 * 60 * 60 * 1000);
    const before = await state(c);
    const res = await reveal(c);
    expect(res.status).toBe(410);
    const { error } = await body(res);
    expect(error.code).toBe("key_reveal_expired");
    expect(error.message).toMatch(/24 h after the purchase.*contact support.*rotate/);
    expect(await state(c)).toEqual(before);
    expect((await body(await fetch(successUrl(c)))).reveal.available).toBe(false);
  });

  it("a browser gets HTML: the key page, and a refusal page on the second POST", async () => {
    const c = await purchase("htmlco");
    const headers = { accept: "text/html,application/xhtml+xml", origin: ORIGIN, cookie: c.cookie };
    const first = await fetch(successUrl(c), { method: "POST", headers });
    expect(first.status).toBe(200);
    expect(await first.text()).toMatch(/<pre>CODITECT-PRO-[A-Z2-7]{32}<\/pre>/);
    const second = await fetch(successUrl(c), { method: "POST", headers });
    expect(second.status).toBe(410);
    expect(second.headers.get("content-type")).toMatch(/^text\/html/);
    expect(await second.text()).toMatch(/already shown once.*contact support/);
  });

  it("before the webhook arrives, the POST fulfils from Stripe and reveals", async () => {
    const c = await purchase("earlyco", { webhook: false });
    const res = await reveal(c);
    expect(res.status).toBe(200);
    expect((await body(res)).licenseKey).toMatch(LICENSE_KEY_PATTERN);
  });

  it("concurrent reveals, success redirects and webhook deliveries fulfil once and reveal one key", async () => {
    const c = await purchase("raceco", { webhook: false });
    const completed = h.fake.store.events.find(
      (e) => e.type === "checkout.session.completed" && JSON.stringify(e).includes(c.sessionId),
    )!;
    const results = await Promise.all([
      ...Array.from({ length: 4 }, () => reveal(c).then(body)),
      ...Array.from({ length: 3 }, () => fetch(successUrl(c)).then(body)),
      ...Array.from({ length: 3 }, (_, i) =>
        h.sendEvent({ ...completed, id: `evt_reveal_race_${i}` }).then(body),
      ),
    ]);
    const keys = results.map((r) => r.licenseKey).filter((k) => typeof k === "string");
    expect(keys).toHaveLength(1);
    const rows = await h.pool.query(
      "SELECT count(*)::int AS n FROM licenses WHERE stripe_checkout_session_id = $1",
      [c.sessionId],
    );
    expect(rows.rows[0].n).toBe(1);
  });
});
