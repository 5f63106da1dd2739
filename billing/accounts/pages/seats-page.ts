/**
 * /account/organizations/:organization/seats (issue 17): per license, who holds a seat (used/total), and —
 * for admins and owners — assign a member or unassign. The page reads with W2's listSeats; the buttons go
 * through the JSON API (account.js), which refuses a full license with 409 seats_exhausted: that message is
 * shown next to the Assign button.
 */
import type { Queryable } from "../../db/queryable.js";
import { listSeats, type SeatView } from "../seats/seats.js";
import { html, type SafeHtml } from "./html.js";
import {
  canManage,
  type MemberOption,
  membersOf,
  organizationApi,
  organizationNav,
  timeOf,
  type Viewer,
} from "./seats-common.js";

export interface LicenseSeats {
  id: string;
  tier: string;
  state: string;
  seats: number;
  used: number;
  assignments: SeatView[];
}

export interface SeatsPageData {
  organization: string;
  licenses: LicenseSeats[];
  members: MemberOption[];
}

export async function seatsPageData(db: Queryable, organization: string): Promise<SeatsPageData> {
  const licenses = await db.query<{ id: string; tier: string; state: string }>(
    "SELECT id, tier, state FROM licenses WHERE organization = $1 ORDER BY created_at, id",
    [organization],
  );
  const withSeats: LicenseSeats[] = [];
  for (const license of licenses.rows) {
    const seats = await listSeats(db, organization, license.id);
    withSeats.push({ ...license, seats: seats.seats, used: seats.used, assignments: seats.assignments });
  }
  return { organization, licenses: withSeats, members: await membersOf(db, organization) };
}

function licenseSection(data: SeatsPageData, license: LicenseSeats, viewer: Viewer): SafeHtml {
  const api = `${organizationApi(data.organization)}/licenses/${license.id}/seats`;
  const headingId = `license-${license.id}`;
  const holders = new Set(license.assignments.map((a) => a.userId));
  const candidates = data.members.filter((m) => !holders.has(m.userId));
  const manage = canManage(viewer);
  return html`<section aria-labelledby="${headingId}" class="license-seats" data-license="${license.id}">
<h2 id="${headingId}">${license.tier} license <code>${license.id.slice(0, 8)}</code></h2>
<p><span data-field="used">${license.used}</span> of <span data-field="total">${license.seats}</span> seats used · state: ${license.state}</p>
${
  license.assignments.length === 0
    ? html`<p>Nobody holds a seat on this license yet.</p>`
    : html`<table class="table">
<caption class="visually-hidden">People holding a seat on license ${license.id}</caption>
<thead><tr><th scope="col">Person</th><th scope="col">Assigned</th>${manage && html`<th scope="col"><span class="visually-hidden">Actions</span></th>`}</tr></thead>
<tbody>
${license.assignments.map(
  (
    a,
  ) => html`<tr data-user="${a.userId}"><th scope="row">${a.email}</th><td>${timeOf(a.assignedAt)} by ${a.assignedBy}</td>${
    manage &&
    html`<td><form class="inline-form" data-api="${api}/${a.userId}" data-method="DELETE" data-success="reload">
<button type="submit" class="button-secondary" aria-label="Unassign the seat of ${a.email}">Unassign</button>
<p class="form-error" role="alert" data-error-for="" hidden></p>
</form></td>`
  }</tr>
`,
)}</tbody>
</table>`
}
${
  manage &&
  (candidates.length === 0
    ? html`<p class="hint">Every member holds a seat on this license.</p>`
    : html`<form data-api="${api}" data-success="reload" class="assign-form">
<div class="field">
<label for="seat-user-${license.id}">Give a seat to</label>
<select id="seat-user-${license.id}" name="userId" required aria-describedby="seat-error-${license.id}">
${candidates.map((m) => html`<option value="${m.userId}">${m.email} (${m.role})</option>`)}
</select>
<p id="seat-error-${license.id}" class="field-error" data-error-for="userId" hidden></p>
</div>
<button type="submit">Assign seat</button>
<p class="form-error" role="alert" data-error-for="" hidden></p>
</form>`)
}
</section>`;
}

export function seatsBody(data: SeatsPageData, viewer: Viewer): SafeHtml {
  return html`${organizationNav(data.organization, viewer.role, "seats")}
<p>A seat lets a person use the organization's licensed containers and workstations.
${canManage(viewer) ? html`Unassigning a seat ends that person's sessions on the license at once.` : html`Admins and owners assign seats.`}</p>
${data.licenses.length === 0 ? html`<p>This organization has no license yet.</p>` : data.licenses.map((l) => licenseSection(data, l, viewer))}`;
}
