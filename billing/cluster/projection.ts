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
  user_email: string;
  stripe_subscription_id: string | null;
  stripe_subscription_item_id: string | null;
  created_at: Date;
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
  return {
    apiVersion: API_GROUP_VERSION,
    kind: "Workstation",
    metadata: {
      name: row.name,
      namespace: row.namespace,
      labels: {
        [MANAGED_BY_LABEL]: MANAGED_BY_BILLING,
        [LICENSE_ID_LABEL]: row.license_id,
        // So `kubectl get ws -l coditect.ai/user=alice_at_example.com` works (lib/user-label.ts).
        [USER_LABEL]: userLabelValue(row.user_email),
      },
      annotations,
    },
    spec: {
      licenseRef: { name: licenseResourceName(row.license_id) },
      user: row.user_email,
      tier: row.tier,
      desiredState: "Running",
    },
  };
}
