/**
 * GET …/workstations: the organization's workstations as Postgres holds them (assignee, desired state,
 * removal) with the live state and access URL the operator wrote on the Workstation resource. Without a
 * cluster (or when it cannot be read) the live part is "unknown": the list still answers.
 */
import type { Logger } from "pino";
import type { Workstation } from "../../../crds/types.js";
import type { ClusterFeed } from "../../cluster/feed.js";
import { type ProvisionedWorkstationRow, WORKSTATION_ROW_SELECT } from "../../cluster/projection.js";
import type { Queryable } from "../../db/queryable.js";

export interface WorkstationView {
  name: string;
  licenseId: string;
  tier: string;
  assignee: { userId: string; email: string } | null;
  desiredState: "Running" | "Stopped";
  removal: { requestedAt: string; deleteAfter: string | null } | null;
  /** The operator's one-word state (Running, Stopped, Starting, …) or "unknown". */
  state: string;
  /** Only while the workstation runs and has an assignee. */
  accessUrl: string | null;
}

type Row = ProvisionedWorkstationRow & { assignee_user_id: string | null };

/** The view of one row with the resource the cluster holds for it (pure). */
export function workstationView(row: Row, resource: Workstation | undefined): WorkstationView {
  const state = resource?.status?.phase ?? "unknown";
  const assignee =
    row.assignee_user_id && row.assignee_email
      ? { userId: row.assignee_user_id, email: row.assignee_email }
      : null;
  return {
    name: row.name,
    licenseId: row.license_id,
    tier: row.tier,
    assignee,
    desiredState: row.desired_state ?? "Running",
    removal: row.removal_requested_at
      ? {
          requestedAt: row.removal_requested_at.toISOString(),
          deleteAfter: row.delete_after?.toISOString() ?? null,
        }
      : null,
    state,
    accessUrl: assignee && state === "Running" ? (resource?.status?.accessUrl ?? null) : null,
  };
}

export async function listOrganizationWorkstations(
  db: Queryable,
  kube: ClusterFeed | undefined,
  logger: Logger,
  organization: string,
): Promise<{ workstations: WorkstationView[]; live: boolean }> {
  const rows = (
    await db.query<Row>(`${WORKSTATION_ROW_SELECT} WHERE w.namespace = $1 ORDER BY w.name`, [organization])
  ).rows;
  let resources: Map<string, Workstation> | undefined;
  if (kube && rows.length > 0) {
    try {
      resources = new Map(
        (await kube.listWorkstations(organization)).map((w) => [w.metadata?.name ?? "", w] as const),
      );
    } catch (err) {
      logger.warn({ err, organization }, "could not read Workstation resources; answering state unknown");
    }
  }
  return {
    workstations: rows.map((row) => workstationView(row, resources?.get(row.name))),
    live: resources !== undefined,
  };
}

/** One workstation's view from Postgres alone (the answer of assign/unassign/start/stop; state "unknown"). */
export async function workstationViewOf(
  db: Queryable,
  organization: string,
  name: string,
): Promise<WorkstationView | undefined> {
  const row = (
    await db.query<Row>(`${WORKSTATION_ROW_SELECT} WHERE w.namespace = $1 AND w.name = $2`, [
      organization,
      name,
    ])
  ).rows[0];
  return row ? workstationView(row, undefined) : undefined;
}
