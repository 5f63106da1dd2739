/**
 * The members and invitations page (issue 17): members with their roles; for admins and the owner the
 * invite form, the invitations with resend/revoke, and per member a role change and removal. Which controls
 * appear comes from the team API's own rules (billing/accounts/team/rules.ts), so the page offers exactly
 * what the API would allow; the API still decides every request.
 */
import type { Role } from "../directory.js";
import { roleAtLeast } from "../directory.js";
import { effectiveState, type InvitationRow } from "../team/invitations.js";
import type { MemberRow } from "../team/members.js";
import { GRANTABLE_ROLES, type GrantableRole, grantProblem, manageProblem } from "../team/rules.js";
import { html, type SafeHtml } from "./html.js";
import { dateTime, ROLE_NAMES } from "./organization-frame.js";

const formError = html`<p class="form-error" role="alert" data-error-for="" hidden></p>`;

const grantable = (actor: Role): GrantableRole[] =>
  GRANTABLE_ROLES.filter((role) => grantProblem(actor, role) === undefined);

function roleOptions(actor: Role, selected: Role): SafeHtml[] {
  return grantable(actor).map(
    (role) =>
      html`<option value="${role}"${role === selected ? html` selected` : ""}>${ROLE_NAMES[role]}</option>`,
  );
}

function memberControls(api: string, actor: Role, member: MemberRow, index: number): SafeHtml {
  const canChange = manageProblem(actor, member.role, "change") === undefined;
  const canRemove = manageProblem(actor, member.role, "remove") === undefined;
  if (!canChange && !canRemove) return html`<span class="hint">—</span>`;
  const path = `${api}/members/${member.user_id}`;
  return html`${
    canChange &&
    html`<form class="inline-form" data-api="${path}" data-method="PATCH">
<label class="visually-hidden" for="role-${index}">New role for ${member.email}</label>
<select id="role-${index}" name="role">${roleOptions(actor, member.role)}</select>
<button type="submit" class="button-secondary">Change role</button>
${formError}
</form>`
  }
${
  canRemove &&
  html`<form class="inline-form" data-api="${path}" data-method="DELETE"
 data-confirm="Remove ${member.email}? Their seats and workstations in this organization are unassigned.">
<button type="submit" class="button-danger" aria-label="Remove ${member.email}">Remove</button>
${formError}
</form>`
}`;
}

function membersTable(api: string, actor: Role, members: readonly MemberRow[]): SafeHtml {
  const manages = roleAtLeast(actor, "admin");
  return html`<table class="table">
<caption class="visually-hidden">Members, their roles, when they joined and their seats</caption>
<thead><tr><th scope="col">Member</th><th scope="col">Role</th><th scope="col">Joined</th><th scope="col">Seats</th>${manages && html`<th scope="col">Manage</th>`}</tr></thead>
<tbody>
${members.map(
  (
    m,
    i,
  ) => html`<tr><th scope="row">${m.email}</th><td data-label="Role">${ROLE_NAMES[m.role]}</td><td data-label="Joined">${dateTime(m.created_at)}</td><td data-label="Seats">${m.seats}</td>${manages && html`<td class="controls">${memberControls(api, actor, m, i)}</td>`}</tr>
`,
)}</tbody>
</table>`;
}

function inviteForm(api: string, actor: Role): SafeHtml {
  return html`<form data-api="${api}/invitations" data-success="reload">
<div class="field">
<label for="invite-email">Email address</label>
<input id="invite-email" name="email" type="email" autocomplete="off" required aria-describedby="invite-email-error">
<p id="invite-email-error" class="field-error" data-error-for="email" hidden></p>
</div>
<div class="field">
<label for="invite-role">Role</label>
<select id="invite-role" name="role" aria-describedby="invite-role-error">${roleOptions(actor, "member")}</select>
<p id="invite-role-error" class="field-error" data-error-for="role" hidden></p>
</div>
<button type="submit">Send the invitation</button>
${formError}
</form>
<p class="hint">The invitation link works for 7 days. Resending sends a new link; the old one stops working.</p>`;
}

type InvitationView = InvitationRow & { inviter_email: string };

function invitationControls(api: string, actor: Role, invitation: InvitationView): SafeHtml {
  if (invitation.state !== "pending" || grantProblem(actor, invitation.role)) return html``;
  const path = `${api}/invitations/${invitation.id}`;
  return html`<form class="inline-form" data-api="${path}/resend">
<button type="submit" class="button-secondary" aria-label="Resend the invitation to ${invitation.email}">Resend</button>
${formError}
</form>
<form class="inline-form" data-api="${path}" data-method="DELETE" data-confirm="Revoke the invitation to ${invitation.email}? Its link stops working.">
<button type="submit" class="button-danger" aria-label="Revoke the invitation to ${invitation.email}">Revoke</button>
${formError}
</form>`;
}

const STATE_WORDS = { pending: "Pending", accepted: "Accepted", expired: "Expired", revoked: "Revoked" };

function invitationsSection(
  api: string,
  actor: Role,
  invitations: readonly InvitationView[],
  now: Date,
): SafeHtml {
  return html`<section aria-labelledby="invitations-heading">
<h2 id="invitations-heading">Invitations</h2>
${
  invitations.length === 0
    ? html`<p>No invitations yet.</p>`
    : html`<table class="table">
<caption class="visually-hidden">Invitations, their state, role and expiry</caption>
<thead><tr><th scope="col">Email</th><th scope="col">Role</th><th scope="col">State</th><th scope="col">Invited by</th><th scope="col">Link expires</th><th scope="col">Manage</th></tr></thead>
<tbody>
${invitations.map(
  (
    inv,
  ) => html`<tr><th scope="row">${inv.email}</th><td data-label="Role">${ROLE_NAMES[inv.role]}</td><td data-label="State">${STATE_WORDS[effectiveState(inv, now)]}</td><td data-label="Invited by">${inv.inviter_email}</td><td data-label="Link expires">${dateTime(inv.expires_at)}</td><td class="controls">${invitationControls(api, actor, inv)}</td></tr>
`,
)}</tbody>
</table>`
}
<h3>Invite someone</h3>
${inviteForm(api, actor)}
</section>`;
}

export function membersBody(input: {
  organization: string;
  role: Role;
  members: readonly MemberRow[];
  /** Only for admins and the owner (the API's GET …/invitations needs admin). */
  invitations?: readonly InvitationView[] | undefined;
  now: Date;
  nav: SafeHtml;
}): SafeHtml {
  const api = `/v1/account/organizations/${encodeURIComponent(input.organization)}`;
  return html`${input.nav}
<section aria-labelledby="members-heading">
<h2 id="members-heading">Members</h2>
${membersTable(api, input.role, input.members)}
${
  !roleAtLeast(input.role, "admin") &&
  html`<p class="hint">The owner and admins invite people and change roles.</p>`
}
</section>
${input.invitations && invitationsSection(api, input.role, input.invitations, input.now)}`;
}
