/**
 * The purchased workstations of a subscription follow its workstation items' quantities (issue 16 §2,
 * ADR 0241). `planWorkstations` is the pure decision: from Stripe's current items (refetched) and the
 * rows we hold, which workstations to create, restore or remove. `reconcileWorkstations` applies the plan
 * in the caller's transaction, audits each change and mails a removed workstation's assignee. Applying the
 * same subscription twice changes nothing, so event order and duplicates do not matter.
 *
 * Removal takes access away and stops the workstation at once (Stripe credits the unused time of the
 * lowered quantity by default), and the resource is deleted WORKSTATION_DELETE_GRACE_MS later: a quantity
 * raised again within that window gets the same workstation (and its disk) back, unassigned.
 */
import type Stripe from "stripe";
import type { WorkstationTier } from "../../lib/domain.js";
import type { UserRow } from "../accounts/directory.js";
import { recordAudit } from "../audit.js";
import type { Catalog } from "../catalog.js";
import { workstationName } from "../cluster/names.js";
import type { Queryable } from "../db/queryable.js";
import type { LicenseRow } from "../licenses/row.js";
import { enqueueNotification } from "../notifications/outbox.js";
import { subscriptionLines } from "./subscription-facts.js";

/** A purchase never makes more than this many workstations per subscription item (checkout's cap too). */
export const MAX_WORKSTATIONS_PER_ITEM = 20;
/** How long a removed workstation's resource (and disk) is kept before deletion (the seeds' 7 days). */
export const WORKSTATION_DELETE_GRACE_MS = 7 * 24 * 60 * 60 * 1000;

export interface WorkstationLine {
  itemId: string;
  tier: WorkstationTier;
  quantity: number;
}

export interface PurchasedWorkstation {
  name: string;
  stripe_subscription_item_id: string | null;
  tier: WorkstationTier;
  assignee_user_id: string | null;
  created_at: Date;
  removal_requested_at: Date | null;
  delete_after: Date | null;
}

export interface WorkstationPlan {
  create: { itemId: string; tier: WorkstationTier; index: number }[];
  /** Removed earlier, not yet deleted: given back before anything new is made. */
  restore: string[];
  remove: string[];
}

/** The n of a workstation named `…-<n>` (names from billing/cluster/names.ts). */
export function workstationIndex(name: string): number {
  const match = /-(\d+)$/.exec(name);
  return match ? Number(match[1]) : 0;
}

/**
 * Which go when there are too many: unassigned ones first (nobody loses a workstation), then the most
 * recently created (the longest-held stay), the highest index breaking ties.
 */
export function removalOrder(a: PurchasedWorkstation, b: PurchasedWorkstation): number {
  const assigned = Number(a.assignee_user_id !== null) - Number(b.assignee_user_id !== null);
  if (assigned !== 0) return assigned;
  const age = b.created_at.getTime() - a.created_at.getTime();
  return age !== 0 ? age : workstationIndex(b.name) - workstationIndex(a.name);
}

/** Pure: the changes that make the rows match the items (an item no longer on the subscription = 0). */
export function planWorkstations(
  lines: WorkstationLine[],
  rows: PurchasedWorkstation[],
  now: Date,
): WorkstationPlan {
  const plan: WorkstationPlan = { create: [], restore: [], remove: [] };
  const itemIds = new Set([
    ...lines.map((l) => l.itemId),
    ...rows.map((r) => r.stripe_subscription_item_id ?? ""),
  ]);
  for (const itemId of [...itemIds].filter(Boolean).sort()) {
    const line = lines.find((l) => l.itemId === itemId);
    const target = line ? Math.max(0, Math.min(line.quantity, MAX_WORKSTATIONS_PER_ITEM)) : 0;
    const ofItem = rows.filter((r) => r.stripe_subscription_item_id === itemId);
    const live = ofItem.filter((r) => r.removal_requested_at === null);
    if (live.length > target) {
      plan.remove.push(
        ...[...live]
          .sort(removalOrder)
          .slice(0, live.length - target)
          .map((r) => r.name),
      );
      continue;
    }
    let missing = target - live.length;
    const restorable = ofItem
      .filter((r) => r.removal_requested_at !== null && (r.delete_after === null || r.delete_after > now))
      .filter((r) => !line || r.tier === line.tier)
      .sort((a, b) => b.removal_requested_at!.getTime() - a.removal_requested_at!.getTime());
    for (const row of restorable) {
      if (missing === 0) break;
      plan.restore.push(row.name);
      missing -= 1;
    }
    let index = Math.max(0, ...ofItem.map((r) => workstationIndex(r.name)));
    for (; missing > 0 && line; missing--) {
      index += 1;
      plan.create.push({ itemId, tier: line.tier, index });
    }
  }
  return plan;
}

/** The workstation lines of a (refetched) subscription, with their tier from the catalog. */
export function workstationLines(subscription: Stripe.Subscription, catalog: Catalog): WorkstationLine[] {
  return subscriptionLines(subscription).flatMap((line) => {
    const product = catalog.byPriceId(line.priceId);
    return product?.kind === "workstation"
      ? [{ itemId: line.itemId, tier: product.workstationTier, quantity: line.quantity }]
      : [];
  });
}

export interface ReconcileOptions {
  actor: string;
  now: Date;
  /** Who new workstations are assigned to (the buyer at fulfilment); unassigned when absent. */
  assignee?: Pick<UserRow, "id" | "email">;
}

/** Applies the plan for one license's subscription in `tx`; returns what changed. */
export async function reconcileWorkstations(
  tx: Queryable,
  license: LicenseRow,
  subscription: Stripe.Subscription,
  catalog: Catalog,
  options: ReconcileOptions,
): Promise<WorkstationPlan> {
  const { actor, now } = options;
  const rows = await tx.query<PurchasedWorkstation & { assignee_email: string | null }>(
    `SELECT w.*, u.email AS assignee_email FROM provisioned_workstations w
       LEFT JOIN users u ON u.id = w.assignee_user_id
      WHERE w.license_id = $1 AND w.stripe_subscription_id = $2 ORDER BY w.name FOR UPDATE OF w`,
    [license.id, subscription.id],
  );
  const plan = planWorkstations(workstationLines(subscription, catalog), rows.rows, now);
  const audit = (action: string, name: string, details: Record<string, unknown>) =>
    recordAudit(tx, {
      at: now,
      actor,
      action,
      licenseId: license.id,
      before: null,
      after: null,
      details: { workstation: name, subscriptionId: subscription.id, ...details },
    });
  for (const ws of plan.create) {
    const name = workstationName(subscription.id, ws.itemId, ws.index);
    // user_email is NOT NULL (migration 004): it names for whom the workstation was made; '' = for nobody
    // yet, so migration 130's default-assignee trigger leaves it unassigned. Access follows assignee_user_id.
    await tx.query(
      `INSERT INTO provisioned_workstations
         (name, namespace, license_id, tier, user_email, stripe_subscription_id, stripe_subscription_item_id,
          created_at, assignee_user_id)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) ON CONFLICT (name) DO NOTHING`,
      [
        name,
        license.organization,
        license.id,
        ws.tier,
        options.assignee?.email ?? "",
        subscription.id,
        ws.itemId,
        now,
        options.assignee?.id ?? null,
      ],
    );
    await audit("workstation.added", name, {
      tier: ws.tier,
      subscriptionItemId: ws.itemId,
      assignee: options.assignee?.email ?? null,
    });
  }
  for (const name of plan.restore) {
    await tx.query(
      `UPDATE provisioned_workstations
          SET removal_requested_at = NULL, delete_after = NULL, desired_state = 'Running'
        WHERE name = $1`,
      [name],
    );
    await audit("workstation.restored", name, {});
  }
  const deleteAfter = new Date(now.getTime() + WORKSTATION_DELETE_GRACE_MS);
  for (const name of plan.remove) {
    const row = rows.rows.find((r) => r.name === name)!;
    await tx.query(
      `UPDATE provisioned_workstations
          SET removal_requested_at = $2, delete_after = $3, desired_state = 'Stopped', assignee_user_id = NULL
        WHERE name = $1`,
      [name, now, deleteAfter],
    );
    await audit("workstation.removed", name, {
      reason: "subscription quantity lowered",
      formerAssignee: row.assignee_email,
      deleteAfter: deleteAfter.toISOString(),
    });
    if (row.assignee_email) {
      await enqueueNotification(
        tx,
        {
          kind: "workstation_removed",
          to: row.assignee_email,
          licenseId: license.id,
          data: {
            organization: license.organization,
            workstation: name,
            deleteAfter: deleteAfter.toISOString(),
          },
          dedupeKey: `workstation_removed:${name}:${now.toISOString()}`,
        },
        now,
      );
    }
  }
  return plan;
}
