/** Table tests of the reveal decision (issue 13 §9): binding first, then once, then the 24 h window. */
import { describe, expect, it } from "vitest";
import { cookieValue, decideReveal, hashRevealNonce, type RevealFacts, revealSetCookie } from "./reveal.js";

const PURCHASE = new Date("2026-06-01T00:00:00Z");
const base: RevealFacts = {
  origin: "https://billing.example",
  expectedOrigin: "https://billing.example",
  presentedNonce: "nonce-a",
  storedNonceHash: hashRevealNonce("nonce-a"),
  keyIssued: false,
  purchasedAt: PURCHASE,
  now: new Date(PURCHASE.getTime() + 60_000),
};
const at = (ms: number) => new Date(PURCHASE.getTime() + ms);
const H = 60 * 60 * 1000;

describe("decideReveal", () => {
  it.each<[string, Partial<RevealFacts>, false | [number, string]]>([
    ["the buyer's browser, from the page, in time", {}, false],
    ["one millisecond before 24 h", { now: at(24 * H - 1) }, false],
    ["exactly 24 h after the purchase", { now: at(24 * H) }, [410, "key_reveal_expired"]],
    ["after the key was shown", { keyIssued: true }, [410, "key_already_revealed"]],
    ["without a cookie", { presentedNonce: undefined }, [403, "reveal_cookie_missing"]],
    ["with another nonce", { presentedNonce: "nonce-b" }, [403, "reveal_cookie_mismatch"]],
    [
      "for a checkout without a stored nonce",
      { storedNonceHash: undefined },
      [403, "reveal_cookie_mismatch"],
    ],
    ["without Origin", { origin: undefined }, [403, "origin_mismatch"]],
    ["from another origin", { origin: "https://evil.example" }, [403, "origin_mismatch"]],
    // A request from another browser learns nothing: binding is checked before "already shown" or "expired".
    [
      "without a cookie, after the key was shown",
      { presentedNonce: undefined, keyIssued: true },
      [403, "reveal_cookie_missing"],
    ],
    [
      "with another nonce, after 24 h",
      { presentedNonce: "x", now: at(48 * H) },
      [403, "reveal_cookie_mismatch"],
    ],
  ])("%s", (_label, change, refused) => {
    const decision = decideReveal({ ...base, ...change });
    if (refused === false) expect(decision).toEqual({ reveal: true });
    else expect(decision).toMatchObject({ reveal: false, status: refused[0], code: refused[1] });
  });
});

describe("the reveal cookie", () => {
  it("is scoped under the public base URL's path and read back by name", () => {
    expect(revealSetCookie("https://billing.example/shop/", "cs_test_1", "n")).toBe(
      "coditect_reveal_cs_test_1=n; Path=/shop/v1/checkout/success; Max-Age=172800; HttpOnly; Secure; SameSite=Strict",
    );
    expect(cookieValue("a=1; coditect_reveal_cs_test_1=n2 ; b=2", "coditect_reveal_cs_test_1")).toBe("n2");
    expect(cookieValue("coditect_reveal_cs_test_10=x", "coditect_reveal_cs_test_1")).toBeUndefined();
    expect(cookieValue(undefined, "a")).toBeUndefined();
  });
});
