/**
 * Custom resources as the control plane generates them: billing's pure projections (License per license
 * row, Workstation per purchase, ContainerSession per admitted container) evaluated over the domain's
 * whole value space — every license tier × state × provisioning type, every workstation tier and
 * container type, optional fields both unset and set. The CRD schema check then proves that nothing
 * billing can write is rejected by the API server.
 */
import { licenseResourceFor, workstationResourceFor } from "../../billing/cluster/projection.js";
import type { LicenseRow } from "../../billing/licenses/row.js";
import { sessionResourceFor } from "../../billing/sessions/cluster.js";
import {
  CONTAINER_TYPES,
  LICENSE_STATES,
  LICENSE_TIER_NAMES,
  LICENSE_TIERS,
  PROVISIONING_TYPES,
  WORKSTATION_TIER_NAMES,
} from "../../lib/domain.js";
import type { PlanResource } from "../plan.js";
import { typeToken } from "./manifests.js";

const uuid = (n: number) => `0b7e2c4a-1d3f-4a5b-8c6d-${n.toString(16).padStart(12, "0")}`;
const AT = new Date("2027-01-01T00:00:00Z");

function licenseRow(n: number, overrides: Partial<LicenseRow>): LicenseRow {
  return {
    id: uuid(n),
    organization: "acme",
    tier: "pro",
    state: "active",
    state_reason: "subscription active",
    expiring_soon: false,
    max_containers: 5,
    seats: 1,
    expires_at: null,
    grace_ends_at: null,
    key_hash: null,
    key_issued_at: null,
    provisioning_type: "paid",
    workstation_tier: null,
    customer_email: "owner@acme.example",
    notes: null,
    created_by: "policy",
    stripe_customer_id: null,
    stripe_subscription_id: null,
    stripe_checkout_session_id: null,
    subscription_status: null,
    cancel_at_period_end: false,
    period_end: null,
    purchased_seats: 1,
    dunning_since: null,
    failed_payment_attempts: 0,
    refunded_at: null,
    admin_revoked_at: null,
    admin_suspended_at: null,
    extended_until: null,
    seats_override: null,
    max_containers_override: null,
    created_at: AT,
    updated_at: AT,
    ...overrides,
  };
}

interface GeneratedManifest {
  apiVersion?: string;
  kind?: string;
  metadata: { name: string; namespace: string };
}

function asResource(manifest: GeneratedManifest): PlanResource {
  const kind = String(manifest.kind);
  return {
    urn: `generated:billing#${kind}/${manifest.metadata.namespace}/${manifest.metadata.name}`,
    type: typeToken(String(manifest.apiVersion), kind),
    name: manifest.metadata.name,
    parent: null,
    inputs: structuredClone(manifest) as unknown as Record<string, unknown>,
    dependencies: [],
  };
}

/** Every License billing can project, with nullable fields alternating between null and set. */
function licenses(): PlanResource[] {
  const rows: LicenseRow[] = [];
  for (const tier of LICENSE_TIER_NAMES) {
    for (const state of LICENSE_STATES) {
      for (const provisioning of PROVISIONING_TYPES) {
        const n = rows.length;
        const withOptionals = n % 2 === 1;
        rows.push(
          licenseRow(n, {
            tier,
            state,
            provisioning_type: provisioning,
            max_containers: LICENSE_TIERS[tier].maxContainers,
            seats: 1 + (n % 25),
            expires_at: withOptionals ? AT : null,
            grace_ends_at: withOptionals && state === "pastDue" ? AT : null,
            workstation_tier: withOptionals
              ? WORKSTATION_TIER_NAMES[n % WORKSTATION_TIER_NAMES.length]!
              : null,
          }),
        );
      }
    }
  }
  return rows.map((row) => asResource(licenseResourceFor(row)));
}

function workstations(): PlanResource[] {
  return WORKSTATION_TIER_NAMES.map((tier, n) =>
    asResource(
      workstationResourceFor({
        name: `ws-${tier}-${n}`,
        namespace: "acme",
        license_id: uuid(n),
        tier,
        user_email: `user${n}@acme.example`,
        stripe_subscription_id: n % 2 === 0 ? `sub_${n}` : null,
        stripe_subscription_item_id: n % 2 === 0 ? `si_${n}` : null,
        created_at: AT,
      }),
    ),
  );
}

function sessions(): PlanResource[] {
  return CONTAINER_TYPES.flatMap((containerType, n) => [
    asResource(
      sessionResourceFor({
        sessionId: uuid(100 + n),
        licenseId: uuid(n),
        organization: "acme",
        containerId: `container-${n}`,
        containerType,
        maxUsers: 1,
      }),
    ),
    asResource(
      sessionResourceFor({
        sessionId: uuid(200 + n),
        licenseId: uuid(n),
        organization: "acme",
        containerId: `4f9c2b7e1a3d${n}`,
        containerType,
        hostname: "build-agent-01.acme.example",
        ip: n % 2 === 0 ? "10.0.3.17" : "2001:db8::17",
        maxUsers: 8,
      }),
    ),
  ]);
}

/** The generated custom resources, as plan resources (URN `generated:billing#<Kind>/<ns>/<name>`). */
export function generatedCustomResources(): PlanResource[] {
  return [...licenses(), ...workstations(), ...sessions()];
}
