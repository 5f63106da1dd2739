/**
 * The one-time license-key reveal (issue 13 §9, docs/adr/0171): bound to the browser that started the
 * checkout by a random nonce (cookie; only its hash is stored), revealed by a POST from the success page
 * (Origin checked), once, until 24 h after the purchase. The GET success page only shows the button: link
 * scanners and prefetchers follow GETs, and nothing a GET does may consume the key.
 * Pure decisions and cookie text here; the routes are in router.ts.
 */
import { createHash, randomBytes, timingSafeEqual } from "node:crypto";

/** How long after the purchase (the license's creation) the key can be revealed. */
export const REVEAL_WINDOW_MS = 24 * 60 * 60 * 1000;
/** The cookie outlives the reveal window by the time a Checkout Session may stay open (Stripe: 24 h). */
export const REVEAL_COOKIE_MAX_AGE_SECONDS = 48 * 60 * 60;
export const SUCCESS_PATH = "/v1/checkout/success";

/** What the customer is told when the key cannot be shown any more (issue 16 brings the account path). */
export const LOST_KEY_ADVICE =
  "contact support: an administrator can rotate the license key and give you a new one";

export function newRevealNonce(): { nonce: string; hash: string } {
  const nonce = randomBytes(32).toString("base64url");
  return { nonce, hash: hashRevealNonce(nonce) };
}

export function hashRevealNonce(nonce: string): string {
  return createHash("sha256").update(nonce).digest("hex");
}

/** One cookie per Checkout Session (a browser may start several); Stripe ids are `cs_` + word characters. */
export function revealCookieName(checkoutSessionId: string): string {
  return `coditect_reveal_${checkoutSessionId}`;
}

/**
 * The Set-Cookie value: HttpOnly (no script reads it), Secure, SameSite=Strict (a cross-site page cannot make
 * the browser send it, so it cannot burn the reveal), scoped to the success path under the public base URL.
 */
export function revealSetCookie(publicBaseUrl: string, checkoutSessionId: string, nonce: string): string {
  const path = `${new URL(publicBaseUrl).pathname.replace(/\/$/, "")}${SUCCESS_PATH}`;
  return [
    `${revealCookieName(checkoutSessionId)}=${nonce}`,
    `Path=${path}`,
    `Max-Age=${REVEAL_COOKIE_MAX_AGE_SECONDS}`,
    "HttpOnly",
    "Secure",
    "SameSite=Strict",
  ].join("; ");
}

/** The value of cookie `name` in a Cookie header, if present (no cookie-parser for one lookup). */
export function cookieValue(header: string | undefined, name: string): string | undefined {
  for (const part of (header ?? "").split(";")) {
    const eq = part.indexOf("=");
    if (eq > 0 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return undefined;
}

export interface RevealFacts {
  /** The request's Origin header and the public base URL's origin it must equal. */
  origin: string | undefined;
  expectedOrigin: string;
  /** The nonce the request carried in the cookie, and the hash stored at checkout creation. */
  presentedNonce: string | undefined;
  storedNonceHash: string | undefined;
  keyIssued: boolean;
  purchasedAt: Date;
  now: Date;
}

export type RevealDecision =
  | { reveal: true }
  | { reveal: false; status: 403 | 410; code: string; message: string };

/**
 * Whether this POST may reveal the key. Binding first (a request from another browser learns nothing about
 * the purchase), then once-only, then the 24 h window.
 */
export function decideReveal(f: RevealFacts): RevealDecision {
  if (f.origin !== f.expectedOrigin) {
    return refuse(
      403,
      "origin_mismatch",
      `the key is revealed only from the success page (Origin ${f.expectedOrigin}); this request's Origin is ${f.origin ?? "missing"}`,
    );
  }
  if (!f.presentedNonce) {
    return refuse(
      403,
      "reveal_cookie_missing",
      "the key is revealed only in the browser that started the checkout (its checkout cookie is missing); " +
        LOST_KEY_ADVICE,
    );
  }
  if (!f.storedNonceHash || !sameHash(hashRevealNonce(f.presentedNonce), f.storedNonceHash)) {
    return refuse(
      403,
      "reveal_cookie_mismatch",
      `this browser's checkout cookie does not belong to this purchase; ${LOST_KEY_ADVICE}`,
    );
  }
  if (f.keyIssued) {
    return refuse(410, "key_already_revealed", `the license key was already shown once; ${LOST_KEY_ADVICE}`);
  }
  const until = revealDeadline(f.purchasedAt);
  if (f.now.getTime() >= until.getTime()) {
    return refuse(
      410,
      "key_reveal_expired",
      `the license key could be shown until ${until.toISOString()} (24 h after the purchase); ${LOST_KEY_ADVICE}`,
    );
  }
  return { reveal: true };
}

export function revealDeadline(purchasedAt: Date): Date {
  return new Date(purchasedAt.getTime() + REVEAL_WINDOW_MS);
}

function refuse(status: 403 | 410, code: string, message: string): RevealDecision {
  return { reveal: false, status, code, message };
}

function sameHash(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}
