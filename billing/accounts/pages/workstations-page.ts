/**
 * /account/organizations/:organization/workstations (issue 17): name, tier, assignee and state of each
 * workstation; admins and owners assign and unassign; the assignee (or an admin) starts and stops; "Open"
 * links to the access URL while it runs. While a workstation's state is not yet its desired state (a start
 * or stop in progress), account.js polls GET …/workstations (data-poll) and updates the state and the Open
 * link in place, and stops polling once every row has settled.
 */
import type { Logger } from "pino";
import type { ClusterFeed } from "../../cluster/feed.js";
import type { Queryable } from "../../db/queryable.js";
import { listOrganizationWorkstations, type WorkstationView } from "../workstations/list.js";
import { html, type SafeHtml } from "./html.js";
import {
  canManage,
  type MemberOption,
  membersOf,
  organizationApi,
  organizationNav,
  type Viewer,
} from "./seats-common.js";

export interface WorkstationsPageData {
  organization: string;
  workstations: WorkstationView[];
  /** False when the cluster could not be read: states are "unknown". */
  live: boolean;
  members: MemberOption[];
}

export async function workstationsPageData(
  db: Queryable,
  kube: ClusterFeed | undefined,
  logger: Logger,
  organization: string,
): Promise<WorkstationsPageData> {
  const { workstations, live } = await listOrganizationWorkstations(db, kube, logger, organization);
  return { organization, workstations, live, members: await membersOf(db, organization) };
}

/** A link only to a web address (the operator writes it; a javascript: URL must never become a link). */
export function isWebUrl(value: string | null): value is string {
  return value !== null && /^https?:\/\//i.test(value);
}

/**
 * Whether the state is still moving towards the desired one (what makes account.js poll). Only with a
 * readable cluster: when it cannot be read, polling would not tell more than a reload later.
 */
export function inProgress(w: Pick<WorkstationView, "state" | "desiredState">, live: boolean): boolean {
  return live && w.state !== w.desiredState;
}

/** The state in words (account.js has the same rules for the rows it updates: keep the two in step). */
export function stateWords(w: Pick<WorkstationView, "state" | "desiredState">, live: boolean): string {
  if (!live) return "Unknown (the cluster could not be read)";
  const moving = w.desiredState === "Running" ? "starting" : "stopping";
  // No status yet: the operator has not reported on this workstation since it was created.
  if (w.state === "unknown") return `Waiting for the operator, ${moving}…`;
  return inProgress(w, live) ? `${w.state}, ${moving}…` : w.state;
}

const mayPower = (viewer: Viewer, w: WorkstationView) =>
  canManage(viewer) || (viewer.role === "member" && w.assignee?.userId === viewer.userId);

function actions(data: WorkstationsPageData, w: WorkstationView, viewer: Viewer): SafeHtml {
  const api = `${organizationApi(data.organization)}/workstations/${w.name}`;
  const power = mayPower(viewer, w)
    ? w.desiredState === "Running"
      ? html`<form class="inline-form" data-api="${api}/stop" data-success="reload">
<button type="submit" class="button-secondary" aria-label="Stop ${w.name}">Stop</button>
<p class="form-error" role="alert" data-error-for="" hidden></p>
</form>`
      : html`<form class="inline-form" data-api="${api}/start" data-success="reload">
<button type="submit" aria-label="Start ${w.name}">Start</button>
<p class="form-error" role="alert" data-error-for="" hidden></p>
</form>`
    : "";
  const manage =
    canManage(viewer) &&
    html`${
      w.assignee &&
      html`<form class="inline-form" data-api="${api}/unassign" data-success="reload">
<button type="submit" class="button-secondary" aria-label="Unassign ${w.name} from ${w.assignee.email}">Unassign</button>
<p class="form-error" role="alert" data-error-for="" hidden></p>
</form>`
    }<form class="inline-form" data-api="${api}/assign" data-success="reload">
<label class="visually-hidden" for="assign-${w.name}">Assign ${w.name} to</label>
<select id="assign-${w.name}" name="userId" required>
${data.members
  .filter((m) => m.userId !== w.assignee?.userId)
  .map((m) => html`<option value="${m.userId}">${m.email}</option>`)}
</select>
<button type="submit" class="button-secondary">${w.assignee ? "Reassign" : "Assign"}</button>
<p class="form-error" role="alert" data-error-for="" hidden></p>
</form>`;
  return html`<div class="actions">${power}${manage}</div>`;
}

function row(data: WorkstationsPageData, w: WorkstationView, viewer: Viewer): SafeHtml {
  return html`<tr data-workstation="${w.name}">
<th scope="row"><code>${w.name}</code>${w.removal && html`<p class="hint">Being removed (the subscription has fewer workstations).</p>`}</th>
<td data-label="Tier">${w.tier}</td>
<td data-label="Assignee">${w.assignee ? w.assignee.email : html`<span class="muted">Nobody</span>`}</td>
<td data-label="State" data-field="state" data-desired="${w.desiredState}">${stateWords(w, data.live)}</td>
<td data-label="Access" data-field="access">${isWebUrl(w.accessUrl) ? html`<a href="${w.accessUrl}" rel="noopener" target="_blank">Open<span class="visually-hidden"> ${w.name} (new tab)</span></a>` : "—"}</td>
<td>${actions(data, w, viewer)}</td>
</tr>
`;
}

export function workstationsBody(data: WorkstationsPageData, viewer: Viewer): SafeHtml {
  const api = `${organizationApi(data.organization)}/workstations`;
  const polling = data.workstations.some((w) => inProgress(w, data.live));
  return html`${organizationNav(data.organization, viewer.role, "workstations")}
<p>Each workstation belongs to one person at a time: only its assignee can open it.
${canManage(viewer) ? html`Assigning a workstation moves its access to the new person.` : viewer.role === "member" ? html`You can start and stop your own workstation.` : html`Members start and stop their own workstation; admins manage all.`}</p>
${!data.live && data.workstations.length > 0 && html`<p class="notice" role="status">The live state of the workstations could not be read just now; reload the page in a moment.</p>`}
${
  data.workstations.length === 0
    ? html`<p>This organization has no workstation. Workstations come with a license that includes them.</p>`
    : html`<p id="workstations-status" class="hint" role="status" aria-live="polite">${polling ? "Updating the state every few seconds…" : ""}</p>
<table class="table" data-poll="${api}"${polling ? html` data-polling="true"` : ""}>
<caption class="visually-hidden">Workstations of ${data.organization}</caption>
<thead><tr><th scope="col">Name</th><th scope="col">Tier</th><th scope="col">Assignee</th><th scope="col">State</th><th scope="col">Access</th><th scope="col">Actions</th></tr></thead>
<tbody>
${data.workstations.map((w) => row(data, w, viewer))}</tbody>
</table>`
}`;
}
