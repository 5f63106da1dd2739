/** Request schemas of the admin API (zod): a failure is a 400 `invalid_request` naming the field. */
import { z } from "zod";
import { LICENSE_TIER_NAMES, WORKSTATION_TIER_NAMES } from "../../lib/domain.js";
import { ORGANIZATION_PATTERN, organizationSlug } from "../licenses/organization.js";

export const ADMIN_PROVISIONING_TYPES = ["pilot", "trial", "comp", "internal"] as const;
const reason = z.string().trim().min(1).max(500);
const maxContainers = z.union([z.number().int().min(0).max(10_000), z.literal("unlimited")]);

export const createLicenseRequest = z
  .strictObject({
    organization: organizationSlug,
    customerEmail: z.email(),
    tier: z.enum(LICENSE_TIER_NAMES),
    provisioningType: z.enum(ADMIN_PROVISIONING_TYPES),
    /** Length of the grant; omitted only for internal licenses (which then do not expire). */
    durationDays: z.number().int().min(1).max(3650).optional(),
    seats: z.number().int().min(1).max(100_000).default(1),
    maxContainers: maxContainers.optional(),
    workstationTier: z.enum(WORKSTATION_TIER_NAMES).optional(),
    /** How many Workstation resources to create for customerEmail (needs workstationTier). */
    workstations: z.number().int().min(0).max(20).default(0),
    notes: z.string().max(2000).optional(),
  })
  .refine((b) => b.durationDays !== undefined || b.provisioningType === "internal", {
    path: ["durationDays"],
    message: "is required for pilot, trial and comp licenses",
  })
  .refine((b) => b.workstations === 0 || b.workstationTier !== undefined, {
    path: ["workstationTier"],
    message: "is required when workstations > 0",
  });

export const reasonRequest = z.strictObject({ reason });
export const extendRequest = z.strictObject({ days: z.number().int().min(1).max(3650), reason });
export const overridesRequest = z
  .strictObject({
    seats: z.number().int().min(1).max(100_000).nullable().optional(),
    maxContainers: maxContainers.nullable().optional(),
    reason,
  })
  .refine((b) => b.seats !== undefined || b.maxContainers !== undefined, {
    message: "set seats and/or maxContainers (null clears an override)",
  });

export const licenseIdParam = z.object({ id: z.uuid({ message: "must be a license id (UUID)" }) });

export const listLicensesQuery = z.strictObject({
  state: z.enum(["active", "pastDue", "suspended", "expired", "revoked"]).optional(),
  tier: z.enum(LICENSE_TIER_NAMES).optional(),
  provisioningType: z.enum(["paid", ...ADMIN_PROVISIONING_TYPES]).optional(),
  organization: z.string().regex(ORGANIZATION_PATTERN).optional(),
  customerEmail: z.string().min(1).max(320).optional(),
  expiringSoon: z.enum(["true", "false"]).optional(),
  limit: z.coerce.number().int().min(1).max(200).default(50),
  offset: z.coerce.number().int().min(0).default(0),
});

export const auditQuery = z.strictObject({
  licenseId: z.uuid().optional(),
  action: z.string().min(1).max(100).optional(),
  actor: z.string().min(1).max(200).optional(),
  from: z.iso.datetime({ offset: true }).optional(),
  to: z.iso.datetime({ offset: true }).optional(),
  afterId: z.coerce.number().int().min(0).optional(),
  limit: z.coerce.number().int().min(1).max(500).default(100),
});

/**
 * Batch provisioning (ADR 0251): a malformed entry refuses the whole batch (400 naming `licenses.<i>.<field>`,
 * nothing created: fix the typo and send it again); the valid batch then runs one transaction per entry.
 */
export const MAX_BATCH_LICENSES = 100;
export const batchLicensesRequest = z.strictObject({
  licenses: z.array(createLicenseRequest).min(1).max(MAX_BATCH_LICENSES),
});

export const provisionWorkstationRequest = z.strictObject({
  licenseId: z.uuid({ message: "must be a license id (UUID)" }),
  tier: z.enum(WORKSTATION_TIER_NAMES),
  userEmail: z.email(),
  reason: reason.optional(),
});

export const listWorkstationsQuery = z.strictObject({
  licenseId: z.uuid().optional(),
  organization: z.string().regex(ORGANIZATION_PATTERN).optional(),
  userEmail: z.string().min(1).max(320).optional(),
  limit: z.coerce.number().int().min(1).max(500).default(100),
  offset: z.coerce.number().int().min(0).default(0),
});
