/**
 * The pages of signing in and out (issue 17 §sign in). The landing pages of emailed links (magic link,
 * invitation) only show a button: mail scanners and link previews fetch GETs, and nothing a GET does may
 * consume a one-time token (the same rule as the checkout reveal, ADR 0171). The button's form posts the
 * token to the JSON API (W1's routes) through account.js.
 */
import { html, type SafeHtml } from "./html.js";

/** The shape of the tokens in our emailed links (account-session.ts newToken: 32 bytes, base64url). */
const LINK_TOKEN = /^[A-Za-z0-9_-]{20,200}$/;

export function isLinkToken(value: unknown): value is string {
  return typeof value === "string" && LINK_TOKEN.test(value);
}

export interface SignInOptions {
  /** Show "Sign in with Google" (the code flow is configured: client id and secret, ADR 0286). */
  google?: boolean;
  /** Why the last attempt failed (a refused Google sign-in), shown first. */
  problem?: string | undefined;
}

export function signInBody(options: SignInOptions = {}): SafeHtml {
  return html`${options.problem && html`<div class="notice notice-error" role="alert"><p>${options.problem}</p></div>`}
${
  options.google &&
  html`<section aria-labelledby="google-heading">
<h2 id="google-heading">Use your Google account</h2>
<p><a class="button-google" href="/account/sign-in/google">Sign in with Google</a></p>
<p class="hint">Google asks which account to use, then sends you back here, signed in.</p>
</section>`
}
<section aria-labelledby="email-heading">
<h2 id="email-heading">Sign in with your email</h2>
<form data-api="/v1/account/sign-in/email" data-success="show:check-mail">
<div class="field">
<label for="email">Email address</label>
<input id="email" name="email" type="email" autocomplete="email" required aria-describedby="email-hint email-error">
<p id="email-hint" class="hint">We email you a sign-in link that works once, for 15 minutes.</p>
<p id="email-error" class="field-error" data-error-for="email" hidden></p>
</div>
<button type="submit">Email me a sign-in link</button>
<p class="form-error" role="alert" data-error-for="" hidden></p>
</form>
<div id="check-mail" class="notice" tabindex="-1" hidden>
<h2>Check your mail</h2>
<p>If the address belongs to a CODITECT account or an invitation, a sign-in link is on its way. Open it on
this device within 15 minutes. Nothing arrived? Look in the spam folder, then ask for a new link.</p>
</div>
</section>`;
}

/** The landing page of a magic link: a button, never an automatic sign-in. */
export function verifyBody(token: string): SafeHtml {
  return html`<p>You opened a sign-in link. Press the button to sign in on this device.</p>
<form data-api="/v1/account/sign-in/email/verify" data-success="redirect:/account/">
<input type="hidden" name="token" value="${token}">
<button type="submit">Sign in</button>
<p class="form-error" role="alert" data-error-for="" hidden></p>
</form>
<p class="hint">The link works once. If it has expired, <a href="/account/sign-in">ask for a new one</a>.</p>`;
}

export function acceptInvitationBody(token: string, signedInEmail: string | undefined): SafeHtml {
  return html`<p>You were invited to join an organization on CODITECT.
${signedInEmail ? html`You will join as <strong>${signedInEmail}</strong>.` : html`Accepting signs you in with the invited email address.`}</p>
<form data-api="/v1/account/invitations/accept" data-success="redirect:/account/">
<input type="hidden" name="token" value="${token}">
<button type="submit">Accept the invitation</button>
<p class="form-error" role="alert" data-error-for="" hidden></p>
</form>`;
}

export function brokenLinkBody(what: "sign-in" | "invitation"): SafeHtml {
  return html`<p role="alert">This ${what} link is incomplete: the token is missing or damaged. Copy the
whole link from the email${what === "sign-in" ? html`, or <a href="/account/sign-in">ask for a new one</a>` : html`, or ask the person who invited you to resend it`}.</p>`;
}

export function signOutBody(): SafeHtml {
  return html`<p>Sign out of your CODITECT account on this device.</p>
<form data-api="/v1/account/sign-out" data-success="redirect:/account/sign-in">
<button type="submit">Sign out</button>
<p class="form-error" role="alert" data-error-for="" hidden></p>
</form>`;
}
