/**
 * The license key page (issue 17): what "shown once" means, and the owner's rotation. Keys are stored
 * hashed (billing/licenses/keys.ts), so no page can show an existing key; rotating (POST …/rotate-key, owner
 * only) answers the new key once, which account.js puts into the panel below — it never appears in this
 * page's HTML, and the page (like every account page) is served with Cache-Control: no-store.
 */
import type { Role } from "../directory.js";
import { html, type SafeHtml } from "./html.js";
import { dateTime } from "./organization-frame.js";

export interface KeyPageLicense {
  id: string;
  tier: string;
  keyIssuedAt: Date | null;
}

function rotateForm(organization: string, license: KeyPageLicense): SafeHtml {
  const api = `/v1/account/organizations/${encodeURIComponent(organization)}/licenses/${license.id}/rotate-key`;
  return html`<form data-api="${api}" data-success="reveal:new-key"
 data-confirm="Rotate the license key? The current key stops working now and every container using it loses its seat.">
<button type="submit" class="button-danger">Rotate the key</button>
<p class="form-error" role="alert" data-error-for="" hidden></p>
</form>
<div id="new-key" class="notice" tabindex="-1" hidden>
<h2>Your new license key</h2>
<p><strong>Copy it now: it is shown only this once.</strong> Leaving or reloading this page loses it.</p>
<p class="secret"><code id="new-key-value" data-from="licenseKey"></code></p>
<p><button type="button" class="button-secondary" data-copy="new-key-value" hidden>Copy the key</button>
<span class="copy-status" role="status"></span></p>
<p>The old key no longer works. Container sessions ended by the rotation: <span data-from="endedSessions"></span>.
Put the new key wherever the old one was (CODITECT_LICENSE_KEY, ~/.config/coditect/license-key).</p>
</div>`;
}

export function keyBody(input: {
  organization: string;
  role: Role;
  license: KeyPageLicense;
  nav: SafeHtml;
}): SafeHtml {
  const { organization, license } = input;
  return html`${input.nav}
<p>License <code>${license.id}</code> (${license.tier}). Current key issued ${dateTime(license.keyIssuedAt)}.</p>
<section aria-labelledby="once-heading">
<h2 id="once-heading">Shown once, stored hashed</h2>
<p>A license key is shown once: on the checkout success page, or here right after a rotation. We keep only a
hash of it, so nobody — not you, not an admin, not CODITECT support — can show an existing key again.</p>
<p>If the key is lost or leaked, rotate it: a new key is shown once on this page, the old key stops working
at once, and every container session opened with the old key ends (those containers need the new key).</p>
</section>
<section aria-labelledby="rotate-heading">
<h2 id="rotate-heading">Rotate the key</h2>
${
  input.role === "owner"
    ? rotateForm(organization, license)
    : html`<p>Only the owner of ${organization} can rotate the key. If it was lost or leaked, ask them.</p>`
}
</section>`;
}
