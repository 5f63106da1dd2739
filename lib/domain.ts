/**
 * Domain vocabulary shared by billing and the operator (never copied): tiers, license states and the
 * timing rules from the seeds. The CRDs in crds/ use exactly these values; crds/types.test.ts checks it.
 */

export const API_GROUP = "coditect.ai";
export const API_VERSION = "v1alpha1";
export const API_GROUP_VERSION = `${API_GROUP}/${API_VERSION}` as const;

/**
 * The label billing puts on every License (and Workstation) it writes. The operator provisions only for
 * Licenses that carry it (issue 11 contract C6), so a sample or hand-made License never costs a machine.
 */
export const MANAGED_BY_LABEL = "app.kubernetes.io/managed-by";
export const MANAGED_BY_BILLING = "coditect-billing";

/**
 * License tiers: concurrent-container limits (seed 000:1032-1035; null = unlimited) and how long a container
 * may run offline after its last successful heartbeat (issue 13 §7, ADR 0157: the seeds' 72 h default for
 * starter and pro, the hybrid-validation document's 7 days for enterprise).
 */
export const LICENSE_TIERS = {
  starter: { maxContainers: 1, offlineGraceMs: 72 * 3_600_000 },
  pro: { maxContainers: 5, offlineGraceMs: 72 * 3_600_000 },
  enterprise: { maxContainers: null, offlineGraceMs: 7 * 24 * 3_600_000 },
} as const satisfies Record<string, { maxContainers: number | null; offlineGraceMs: number }>;
export type LicenseTier = keyof typeof LICENSE_TIERS;
export const LICENSE_TIER_NAMES = Object.keys(LICENSE_TIERS) as LicenseTier[];

/**
 * The longest offline grace of any tier (enterprise's 7 days): how long whatever an offline container may
 * come back to — its session row (billing's retention sweep) and its expired ContainerSession (the
 * operator) — is kept after its last heartbeat. Keeping them by a shorter grace would turn an enterprise
 * container that returns after 4 days into an unknown session (ADR 0158).
 */
export const LONGEST_OFFLINE_GRACE_MS: number = Math.max(
  ...LICENSE_TIER_NAMES.map((tier) => LICENSE_TIERS[tier].offlineGraceMs),
);

/** Workstation products (seed 000:112) mapped 1:1 to workstation config tiers (000:1169). */
export const WORKSTATION_TIERS = {
  standard: { monthlyPriceUsdCents: 9_900 },
  power: { monthlyPriceUsdCents: 19_900 },
  ai: { monthlyPriceUsdCents: 39_900 },
} as const satisfies Record<string, { monthlyPriceUsdCents: number }>;
export type WorkstationTier = keyof typeof WORKSTATION_TIERS;
export const WORKSTATION_TIER_NAMES = Object.keys(WORKSTATION_TIERS) as WorkstationTier[];

export const LICENSE_STATES = ["active", "pastDue", "suspended", "expired", "revoked"] as const;
export type LicenseState = (typeof LICENSE_STATES)[number];

/** Whether a license in this state entitles its holder to run workstations and containers. */
export function licenseStateEntitles(state: LicenseState): boolean {
  return state === "active" || state === "pastDue";
}

export const PROVISIONING_TYPES = ["paid", "pilot", "trial", "comp", "internal"] as const;
export type ProvisioningType = (typeof PROVISIONING_TYPES)[number];

export const CONTAINER_TYPES = ["docker", "workstation"] as const;
export type ContainerType = (typeof CONTAINER_TYPES)[number];

export const SESSION_STATES = ["active", "expired", "released", "terminated"] as const;
export type SessionState = (typeof SESSION_STATES)[number];

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

/** Timing rules (seed-notes §1.5, design.md §6). One place; every service reads them from here. */
export const TIMING = {
  /** Containers heartbeat every 5 minutes (000:968, 000:2673). */
  heartbeatIntervalMs: 5 * MINUTE,
  /** A session without a heartbeat for 30 minutes is expired and frees its seat (000:1075). */
  sessionExpiryMs: 30 * MINUTE,
  /** Warn a container this long before its session would expire. */
  sessionWarningMs: 20 * MINUTE,
  /**
   * Default offline token lifetime after the last successful heartbeat (000:1076, design.md §6); each tier
   * has its own in LICENSE_TIERS (the grace billing issues).
   */
  offlineGraceMs: 72 * HOUR,
  /** Ended sessions are deleted after 24 hours (000:1087-1091). */
  endedSessionRetentionMs: 24 * HOUR,
  /** A workstation whose license expired is deleted after 7 days (000:816-819). */
  workstationDeletionGraceMs: 7 * DAY,
  /** Pre-expiration warnings at 7 days (000:4047-4051). */
  expiringSoonMs: 7 * DAY,
} as const;
