/**
 * Tier → workstation host decisions (pure; ADR 0022). One place decides, per tier, the machine, GPU and
 * whether confidential compute is on, and rejects combinations Cloud Workstations would refuse at apply
 * time, so a bad config fails in `npm run plan` instead of halfway through `pulumi up`.
 */
import type { WorkstationTier } from "../lib/domain.js";

export interface TierHostSpec {
  machineType: string;
  bootDiskSizeGb: number;
  homeDiskSizeGb: number;
  homeDiskType: "pd-standard" | "pd-balanced" | "pd-ssd";
  accelerator?: { type: string; count: number };
  poolSize: number;
}

export interface TierHostDecision extends TierHostSpec {
  tier: WorkstationTier;
  /** Confidential VM (AMD SEV): only where the machine type supports it. */
  confidentialCompute: boolean;
}

/** Machine families on which Cloud Workstations offers Confidential VM (AMD SEV). E2 is not one (seed-notes D10). */
export const CONFIDENTIAL_FAMILIES = ["n2d"] as const;
/** Machine families to which Cloud Workstations can attach GPUs through `accelerators`. */
export const GPU_FAMILIES = ["n1"] as const;
/** Persistent-disk sizes Cloud Workstations accepts for a new (non-snapshot) home disk. */
export const HOME_DISK_SIZES_GB = [10, 50, 100, 200, 500, 1000] as const;

export function machineFamily(machineType: string): string {
  return machineType.split("-")[0] ?? "";
}

export function supportsConfidentialCompute(machineType: string): boolean {
  return (CONFIDENTIAL_FAMILIES as readonly string[]).includes(machineFamily(machineType));
}

/**
 * Decides the host for one tier. Throws an error naming the tier and the offending field when the spec
 * is impossible (GPU on a family without GPU support, the ai tier without a GPU, an unsupported home size).
 */
export function decideTierHost(tier: WorkstationTier, spec: TierHostSpec): TierHostDecision {
  const where = `workstations.tiers.${tier}`;
  const family = machineFamily(spec.machineType);
  if (spec.accelerator && !(GPU_FAMILIES as readonly string[]).includes(family)) {
    throw new Error(
      `${where}.accelerator: GPUs can only be attached to ${GPU_FAMILIES.join("/")} machine types, not ${spec.machineType}`,
    );
  }
  if (tier === "ai" && !spec.accelerator) {
    throw new Error(`${where}.accelerator: the ai tier must have a GPU`);
  }
  if (!(HOME_DISK_SIZES_GB as readonly number[]).includes(spec.homeDiskSizeGb)) {
    throw new Error(
      `${where}.homeDiskSizeGb: ${spec.homeDiskSizeGb} is not a size Cloud Workstations accepts (${HOME_DISK_SIZES_GB.join(", ")})`,
    );
  }
  // Confidential VMs cannot carry attached GPUs on N1, and E2 has no SEV: on wherever it is possible.
  const confidentialCompute = supportsConfidentialCompute(spec.machineType) && !spec.accelerator;
  return { ...spec, tier, confidentialCompute };
}

/** Durations in the `<seconds>s` form the Workstations API expects. */
export function apiDuration(seconds: number): string {
  if (!Number.isInteger(seconds) || seconds <= 0)
    throw new Error(`duration must be a positive integer, got ${seconds}`);
  return `${seconds}s`;
}
