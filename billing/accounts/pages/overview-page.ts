/**
 * The organization overview page (issue 17): each license with its state in plain words, tier, expiry,
 * seats used/total, containers in use/limit and warnings, from the same query as the API's overview
 * (billing/accounts/overview/overview.ts), and the billing section (Stripe's portal, admin+).
 */
import type { Role } from "../directory.js";
import { roleAtLeast } from "../directory.js";
import type { OverviewWarning, organizationOverview } from "../overview/overview.js";
import { html, type SafeHtml } from "./html.js";
import { dateTime, organizationPath } from "./organization-frame.js";

type LicenseView = Awaited<ReturnType<typeof organizationOverview>>[number];

const STATE_WORDS: Record<LicenseView["state"], string> = {
  active: "Active",
  pastDue: "Past due",
  suspended: "Suspended",
  expired: "Expired",
  revoked: "Revoked",
};

const TIER_WORDS: Record<LicenseView["tier"], string> = {
  starter: "Starter",
  pro: "Pro",
  enterprise: "Enterprise",
};

function warningText(warning: OverviewWarning): SafeHtml {
  switch (warning.code) {
    case "past_due":
      return html`A payment failed. ${
        warning.graceEndsAt
          ? html`Access continues until ${dateTime(warning.graceEndsAt)}; update the payment method before then.`
          : html`Update the payment method to keep access.`
      }`;
    case "expiring":
      return html`The license expires soon, on ${dateTime(warning.expiresAt)}.`;
    default:
      return html`${warning.message.charAt(0).toUpperCase()}${warning.message.slice(1)}.`;
  }
}

function licenseSection(organization: string, license: LicenseView, index: number): SafeHtml {
  const id = `license-${index}`;
  const limit = license.containers.limit;
  return html`<section class="card" aria-labelledby="${id}">
<h2 id="${id}">${TIER_WORDS[license.tier]} license</h2>
${
  license.warnings.length > 0 &&
  html`<ul class="warnings" aria-label="Warnings">
${license.warnings.map((w) => html`<li class="warning">${warningText(w)}</li>\n`)}</ul>`
}
<dl class="facts">
<div><dt>State</dt><dd><span class="state state-${license.state}">${STATE_WORDS[license.state]}</span>: ${license.stateExplanation}</dd></div>
<div><dt>Tier</dt><dd>${TIER_WORDS[license.tier]}${license.workstationTier ? html`, workstations: ${license.workstationTier}` : ""}</dd></div>
<div><dt>Expires</dt><dd>${license.expiresAt ? dateTime(license.expiresAt) : "no end date"}</dd></div>
<div><dt>Seats</dt><dd>${license.seats.used} of ${license.seats.total} in use</dd></div>
<div><dt>Containers</dt><dd>${license.containers.inUse} in use${limit === null ? " (no limit)" : html` of ${limit}`}</dd></div>
<div><dt>License id</dt><dd><code>${license.id}</code></dd></div>
</dl>
<p><a href="${organizationPath(organization, `/licenses/${license.id}/key`)}">License key${license.keyIssuedAt ? html` (issued ${dateTime(license.keyIssuedAt)})` : ""}</a></p>
</section>`;
}

/** Stripe's portal for owners and admins (the API's rule: POST …/billing-portal needs admin). */
export function billingSection(organization: string, role: Role): SafeHtml {
  const api = `/v1/account/organizations/${encodeURIComponent(organization)}/billing-portal`;
  if (!roleAtLeast(role, "admin")) {
    return html`<section aria-labelledby="billing-heading">
<h2 id="billing-heading">Billing</h2>
<p>The owner and admins of ${organization} manage payment methods, invoices and the subscription.</p>
</section>`;
  }
  return html`<section aria-labelledby="billing-heading">
<h2 id="billing-heading">Billing</h2>
<p>Payment methods, invoices, quantities, plan changes and cancellation are in Stripe's billing portal.
Changes made there reach this account within a minute.</p>
<form data-api="${api}" data-success="open-url" class="inline-form">
<button type="submit">Open the billing portal</button>
<button type="submit" class="button-link">Invoices</button>
<p class="form-error" role="alert" data-error-for="" hidden></p>
</form>
</section>`;
}

export function overviewBody(
  organization: string,
  role: Role,
  licenses: readonly LicenseView[],
  nav: SafeHtml,
): SafeHtml {
  return html`${nav}
<p>You are ${role === "owner" ? "the owner" : role === "admin" ? "an admin" : `a ${role}`} of <strong>${organization}</strong>.</p>
${
  licenses.length === 0
    ? html`<p>${organization} has no licenses yet.</p>`
    : licenses.map((license, i) => licenseSection(organization, license, i))
}
${billingSection(organization, role)}`;
}
