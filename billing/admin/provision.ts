/**
 * Admin provisioning (issue 16 §1, seeds A.13, ADR 0251): a license an admin creates gets its customer as a
 * user record and its organization (created with the customer as owner, or an existing one the customer
 * already owns or administers — anyone else's is 409 `organization_taken`), and a `welcome` message in the
 * same transaction; a workstation an admin provisions is assigned to a user of the license's organization.
 */
import type { z } from "zod";
import { ensureOrganization, ensureUser, roleIn, type UserRow } from "../accounts/directory.js";
import { recordAudit } from "../audit.js";
import { adminWorkstationName } from "../cluster/names.js";
import type { Queryable } from "../db/queryable.js";
import { ApiError } from "../http/errors.js";
import type { LicenseRow } from "../licenses/row.js";
import type { ChangeContext } from "../licenses/store.js";
import { notifyLicense, welcome } from "../notifications/license-events.js";
import { createGrantedLicense, lockedLicense } from "./actions.js";
import type { createLicenseRequest, provisionWorkstationRequest } from "./schemas.js";

/** The customer's user record and organization; throws 409 when the slug belongs to someone else. */
export async function ensureCustomer(
  tx: Queryable,
  email: string,
  organization: string,
  now: Date,
): Promise<{ user: UserRow; organizationCreated: boolean }> {
  const user = await ensureUser(tx, email, now);
  const org = await ensureOrganization(tx, organization, user, now);
  if (org.outcome === "taken") {
    throw new ApiError(
      409,
      "organization_taken",
      `organization ${organization} exists and ${user.email} is not its owner or an admin of it; choose another organization or have its owner invite ${user.email}`,
    );
  }
  return { user, organizationCreated: org.outcome === "created" };
}

/** POST /v1/admin/licenses (and each entry of a batch): customer, license, workstations, welcome message. */
export async function provisionLicense(
  tx: Queryable,
  body: z.infer<typeof createLicenseRequest>,
  ctx: ChangeContext,
  publicBaseUrl: string,
): Promise<{ license: LicenseRow; key: string; userId: string }> {
  const { user, organizationCreated } = await ensureCustomer(
    tx,
    body.customerEmail,
    body.organization,
    ctx.now,
  );
  const { license, key } = await createGrantedLicense(tx, body, {
    ...ctx,
    details: { ...ctx.details, userId: user.id, organizationCreated },
  });
  await notifyLicense(tx, license, welcome(license, publicBaseUrl), ctx.now);
  return { license, key, userId: user.id };
}

export interface ProvisionedWorkstation {
  name: string;
  namespace: string;
  license_id: string;
  tier: string;
  user_email: string;
  assignee_user_id: string | null;
  desired_state: string;
  created_at: Date;
  removal_requested_at: Date | null;
}

const ENTITLING = new Set(["active", "pastDue"]);

/**
 * A Workstation for `userEmail` on a license (seeds A.13 "provision a workstation for a user"). The user
 * becomes a member of the license's organization if they were not one (the admin vouches for them), so the
 * workstation shows in the organization's own views. The row is created here; the cluster feed creates the
 * Workstation resource after commit, and the operator the cloud workstation.
 */
export async function provisionWorkstation(
  tx: Queryable,
  body: z.infer<typeof provisionWorkstationRequest>,
  ctx: ChangeContext,
): Promise<ProvisionedWorkstation> {
  const license = await lockedLicense(tx, body.licenseId);
  if (!ENTITLING.has(license.state)) {
    throw new ApiError(
      409,
      "license_not_entitled",
      `license ${license.id} is ${license.state}; reinstate or extend it before provisioning a workstation`,
    );
  }
  const user = await ensureUser(tx, body.userEmail, ctx.now);
  const role = await roleIn(tx, license.organization, user.id);
  if (!role) {
    // The organization row exists for every license since migration 120 (and for every admin grant).
    await tx.query(
      `INSERT INTO memberships (organization, user_id, role, created_at) VALUES ($1, $2, 'member', $3)
       ON CONFLICT (organization, user_id) DO NOTHING`,
      [license.organization, user.id, ctx.now],
    );
  }
  // The license row is locked: the next index cannot be taken by a concurrent provisioning.
  const taken = await tx.query<{ name: string }>(
    "SELECT name FROM provisioned_workstations WHERE license_id = $1",
    [license.id],
  );
  const names = new Set(taken.rows.map((r) => r.name));
  let index = 1;
  while (names.has(adminWorkstationName(license.id, index))) index++;
  const inserted = await tx.query<ProvisionedWorkstation>(
    `INSERT INTO provisioned_workstations (name, namespace, license_id, tier, user_email, assignee_user_id, created_at)
     VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING *`,
    [
      adminWorkstationName(license.id, index),
      license.organization,
      license.id,
      body.tier,
      user.email,
      user.id,
      ctx.now,
    ],
  );
  const row = inserted.rows[0]!;
  await recordAudit(tx, {
    at: ctx.now,
    actor: ctx.actor,
    action: "workstation.provisioned",
    licenseId: license.id,
    before: null,
    after: { name: row.name, namespace: row.namespace, tier: row.tier, userEmail: row.user_email },
    details: { ...ctx.details, userId: user.id, membershipAdded: !role },
  });
  return row;
}

export function publicWorkstationRow(row: ProvisionedWorkstation) {
  return {
    name: row.name,
    namespace: row.namespace,
    licenseId: row.license_id,
    tier: row.tier,
    userEmail: row.user_email,
    assigneeUserId: row.assignee_user_id,
    desiredState: row.desired_state,
    createdAt: row.created_at.toISOString(),
    removalRequestedAt: row.removal_requested_at?.toISOString() ?? null,
  };
}
