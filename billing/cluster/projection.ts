/**
 * Pure projections of billing rows into custom resources: License (one per license row) and Workstation
 * (one per provisioned_workstations row). No secrets: the license key never leaves Postgres (as a hash).
 */

import type { License, LicenseSpec, Workstation } from "../../crds/types.js";
import { API_GROUP_VERSION, MANAGED_BY_BILLING, MANAGED_BY_LABEL } from "../../lib/domain.js";
import { USER_LABEL, userLabelValue } from "../../lib/user-label.js";
import type { LicenseRow } from "../licenses/row.js";

export { MANAGED_BY_BILLING as MANAGED_BY_VALUE, MANAGED_BY_LABEL } from "../../lib/domain.js";
export const LICENSE_ID_LABEL = "coditect.ai/license-id";

/** Name of the License resource for a license id (DNS-1123, stable for the license's life). */
export function licenseResourceName(licenseId: string): string {
  return `lic-${licenseId.toLowerCase()}`;
}

/** The License custom resource that mirrors a license row; its namespace is the organization slug. */
export function licenseResourceFor(
  row: LicenseRow,
): License & { metadata: { name: string; namespace: string } } {
  const spec: LicenseSpec = {
    licenseId: row.id,
    organization: row.organization,
    tier: row.tier,
    maxContainers: row.max_containers,
    seats: row.seats,
    expiresAt: row.expires_at ? row.expires_at.toISOString() : null,
    provisioningType: row.provisioning_type,
    state: row.state,
    stateReason: row.state_reason,
  };
  if (row.workstation_tier) spec.workstationTier = row.workstation_tier;
  if (row.grace_ends_at) spec.graceEndsAt = row.grace_ends_at.toISOString();
  return {
    apiVersion: API_GROUP_VERSION,
    kind: "License",
    metadata: {
      name: licenseResourceName(row.id),
      namespace: row.organization,
      labels: { [MANAGED_BY_LABEL]: MANAGED_BY_BILLING, [LICENSE_ID_LABEL]: row.id },
    },
    spec,
  };
}

export interface ProvisionedWorkstationRow {
  name: string;
  namespace: string;
  license_id: string;
  tier: "standard" | "power" | "ai";
  /** Whom the workstation was first made for (the buyer or the admin's named user). */
  user_email: string;
  stripe_subscription_id: string | null;
  stripe_subscription_item_id: string | null;
  created_at: Date;
  /**
   * The current assignee's email (users joined on assignee_user_id, migration 120): null = unassigned.
   * Absent (callers that do not read assignment) = the row's user_email, as before issue 16.
   */
  assignee_email?: string | null;
  desired_state?: "Running" | "Stopped";
  /** Set when the workstation is being removed (fewer workstations bought): no user, stopped. */
  removal_requested_at?: Date | null;
  /** The resource is deleted once this has passed. */
  delete_after?: Date | null;
}

/** The columns workstationResourceFor reads, with the assignee's email (SQL fragment; alias w, users u). */
export const WORKSTATION_ROW_SELECT = `SELECT w.*, u.email AS assignee_email
  FROM provisioned_workstations w LEFT JOIN users u ON u.id = w.assignee_user_id`;

/**
 * Who the Workstation resource names as its user, and whether it should run (pure): the assignee, running as
 * they asked; nobody and stopped while the workstation is being removed.
 */
export function workstationAssignment(row: ProvisionedWorkstationRow): {
  user: string | undefined;
  desiredState: "Running" | "Stopped";
} {
  if (row.removal_requested_at) return { user: undefined, desiredState: "Stopped" };
  const user = row.assignee_email === undefined ? row.user_email : (row.assignee_email ?? undefined);
  return { user, desiredState: row.desired_state ?? "Running" };
}

/** The Workstation resource billing creates for a purchased (or admin-granted) workstation. */
export function workstationResourceFor(
  row: ProvisionedWorkstationRow,
): Workstation & { metadata: { name: string; namespace: string } } {
  const annotations: Record<string, string> = {};
  if (row.stripe_subscription_id) annotations["coditect.ai/stripe-subscription"] = row.stripe_subscription_id;
  if (row.stripe_subscription_item_id) {
    annotations["coditect.ai/stripe-subscription-item"] = row.stripe_subscription_item_id;
  }
  const { user, desiredState } = workstationAssignment(row);
  const labels: Record<string, string> = {
    [MANAGED_BY_LABEL]: MANAGED_BY_BILLING,
    [LICENSE_ID_LABEL]: row.license_id,
  };
  // So `kubectl get ws -l coditect.ai/user=alice_at_example.com` works (lib/user-label.ts).
  if (user) labels[USER_LABEL] = userLabelValue(user);
  return {
    apiVersion: API_GROUP_VERSION,
    kind: "Workstation",
    metadata: { name: row.name, namespace: row.namespace, labels, annotations },
    spec: {
      licenseRef: { name: licenseResourceName(row.license_id) },
      ...(user ? { user } : {}),
      tier: row.tier,
      desiredState,
    },
  };
}
