/**
 * The licenses row as pg returns it, its public view (API responses, audit before/after, no key hash)
 * and how its stored facts become the input of decideLicenseState.
 */
import {
  LICENSE_TIERS,
  type LicenseState,
  type LicenseTier,
  type ProvisioningType,
  type WorkstationTier,
} from "../../lib/domain.js";
import type { LicenseStateInput } from "./state.js";

export interface LicenseRow {
  id: string;
  organization: string;
  tier: LicenseTier;
  state: LicenseState;
  state_reason: string;
  expiring_soon: boolean;
  max_containers: number | null;
  seats: number;
  expires_at: Date | null;
  grace_ends_at: Date | null;
  key_hash: string | null;
  key_issued_at: Date | null;
  provisioning_type: ProvisioningType;
  workstation_tier: WorkstationTier | null;
  customer_email: string;
  notes: string | null;
  created_by: string;
  stripe_customer_id: string | null;
  stripe_subscription_id: string | null;
  stripe_checkout_session_id: string | null;
  subscription_status: string | null;
  cancel_at_period_end: boolean;
  period_end: Date | null;
  purchased_seats: number;
  dunning_since: Date | null;
  failed_payment_attempts: number;
  refunded_at: Date | null;
  admin_revoked_at: Date | null;
  admin_suspended_at: Date | null;
  extended_until: Date | null;
  seats_override: number | null;
  max_containers_override: number | null;
  created_at: Date;
  updated_at: Date;
  /** Set while a payment of this license is disputed (migration 140; optional so older callers compile). */
  disputed_at?: Date | null;
  /** Set once a dispute about a payment of this license was lost. */
  dispute_lost_at?: Date | null;
}

/** The license as the API shows it (and as audit events record it). */
export interface PublicLicense {
  id: string;
  organization: string;
  tier: LicenseTier;
  state: LicenseState;
  stateReason: string;
  expiringSoon: boolean;
  maxContainers: number | null;
  seats: number;
  expiresAt: string | null;
  graceEndsAt: string | null;
  provisioningType: ProvisioningType;
  workstationTier: WorkstationTier | null;
  customerEmail: string;
  notes: string | null;
  createdBy: string;
  keyIssued: boolean;
  stripe: {
    customerId: string | null;
    subscriptionId: string | null;
    subscriptionStatus: string | null;
    cancelAtPeriodEnd: boolean;
    periodEnd: string | null;
    failedPaymentAttempts: number;
    refundedAt: string | null;
  };
  overrides: { seats: number | null; maxContainers: number | "unlimited" | null };
  admin: { revokedAt: string | null; suspendedAt: string | null; extendedUntil: string | null };
  createdAt: string;
  updatedAt: string;
}

const iso = (d: Date | null) => (d ? d.toISOString() : null);

export function publicLicense(row: LicenseRow): PublicLicense {
  return {
    id: row.id,
    organization: row.organization,
    tier: row.tier,
    state: row.state,
    stateReason: row.state_reason,
    expiringSoon: row.expiring_soon,
    maxContainers: row.max_containers,
    seats: row.seats,
    expiresAt: iso(row.expires_at),
    graceEndsAt: iso(row.grace_ends_at),
    provisioningType: row.provisioning_type,
    workstationTier: row.workstation_tier,
    customerEmail: row.customer_email,
    notes: row.notes,
    createdBy: row.created_by,
    keyIssued: row.key_hash !== null,
    stripe: {
      customerId: row.stripe_customer_id,
      subscriptionId: row.stripe_subscription_id,
      subscriptionStatus: row.subscription_status,
      cancelAtPeriodEnd: row.cancel_at_period_end,
      periodEnd: iso(row.period_end),
      failedPaymentAttempts: row.failed_payment_attempts,
      refundedAt: iso(row.refunded_at),
    },
    overrides: {
      seats: row.seats_override,
      maxContainers: row.max_containers_override === -1 ? "unlimited" : row.max_containers_override,
    },
    admin: {
      revokedAt: iso(row.admin_revoked_at),
      suspendedAt: iso(row.admin_suspended_at),
      extendedUntil: iso(row.extended_until),
    },
    createdAt: row.created_at.toISOString(),
    updatedAt: row.updated_at.toISOString(),
  };
}

/** The stored facts of a row as the decision function's input. */
export function decisionInput(row: LicenseRow, now: Date, paymentGraceMs: number): LicenseStateInput {
  const renews =
    row.provisioning_type === "paid" &&
    (row.subscription_status === "active" || row.subscription_status === "trialing") &&
    !row.cancel_at_period_end;
  return {
    provisioningType: row.provisioning_type,
    subscriptionStatus: row.subscription_status,
    periodEnd: row.period_end,
    renews,
    dunning: row.dunning_since
      ? { since: row.dunning_since, failedAttempts: row.failed_payment_attempts }
      : null,
    refundedAt: row.refunded_at,
    disputedAt: row.disputed_at ?? null,
    disputeLostAt: row.dispute_lost_at ?? null,
    adminActions: {
      revokedAt: row.admin_revoked_at,
      suspendedAt: row.admin_suspended_at,
      extendedUntil: row.extended_until,
    },
    paymentGraceMs,
    now,
  };
}

/** Effective limits: an admin override wins over the tier default / purchased quantity. */
export function effectiveLimits(
  row: Pick<LicenseRow, "tier" | "purchased_seats" | "seats_override" | "max_containers_override">,
): {
  seats: number;
  maxContainers: number | null;
} {
  const override = row.max_containers_override;
  return {
    seats: row.seats_override ?? row.purchased_seats,
    maxContainers:
      override === null ? LICENSE_TIERS[row.tier].maxContainers : override === -1 ? null : override,
  };
}
