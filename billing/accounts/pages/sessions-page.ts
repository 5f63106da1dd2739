/**
 * /account/organizations/:organization/sessions (issue 17): the organization's container sessions
 * (container id, host, users, last heartbeat, state, reason) and how many are live. account.js refreshes
 * the count and the table from GET …/container-sessions every few seconds (data-refresh). Read-only: no
 * token or key appears here.
 */
import type { Queryable } from "../../db/queryable.js";
import { type ContainerSessionView, listContainerSessions } from "../container-sessions/list.js";
import { html, type SafeHtml } from "./html.js";
import { organizationApi, organizationNav, timeOf, type Viewer } from "./seats-common.js";

export interface SessionsPageData {
  organization: string;
  live: number;
  sessions: ContainerSessionView[];
}

export async function sessionsPageData(
  db: Queryable,
  organization: string,
  now: Date,
): Promise<SessionsPageData> {
  return { organization, ...(await listContainerSessions(db, organization, "active", now)) };
}

/** The words of a session's state (also account.js's, for rows it adds: keep the two in step). */
export function sessionStateWords(s: Pick<ContainerSessionView, "state" | "live">): string {
  if (s.state === "active") return s.live ? "Active" : "Active, no recent heartbeat";
  return s.state.charAt(0).toUpperCase() + s.state.slice(1);
}

function row(s: ContainerSessionView): SafeHtml {
  return html`<tr data-session="${s.id}">
<th scope="row"><code>${s.containerId}</code> <span class="hint">(${s.containerType})</span></th>
<td data-label="Host">${s.host ?? "—"}</td>
<td data-label="Users">${s.users.length === 0 ? "—" : s.users.map((u, i) => html`${i > 0 ? ", " : ""}${u.user}`)}</td>
<td data-label="Last heartbeat">${timeOf(s.lastHeartbeatAt)}</td>
<td data-label="State">${sessionStateWords(s)}</td>
<td data-label="Reason">${s.reason ?? "—"}</td>
</tr>
`;
}

export function sessionsBody(data: SessionsPageData, viewer: Viewer): SafeHtml {
  const api = `${organizationApi(data.organization)}/container-sessions`;
  return html`${organizationNav(data.organization, viewer.role, "sessions")}
<p>Every running licensed container holds a session; it ends when the container stops sending heartbeats.</p>
<section aria-labelledby="live-heading" data-refresh="${api}">
<h2 id="live-heading">Live now: <span data-field="live-count">${data.live}</span></h2>
<p class="hint" role="status" aria-live="polite" data-field="refreshed">Refreshed every 10 seconds.</p>
<table class="table">
<caption class="visually-hidden">Active container sessions of ${data.organization}</caption>
<thead><tr><th scope="col">Container</th><th scope="col">Host</th><th scope="col">Users</th><th scope="col">Last heartbeat</th><th scope="col">State</th><th scope="col">Reason</th></tr></thead>
<tbody data-field="sessions">
${data.sessions.length === 0 ? html`<tr data-empty="true"><td colspan="6">No container session is active.</td></tr>` : data.sessions.map(row)}</tbody>
</table>
</section>`;
}
