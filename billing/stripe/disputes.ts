/**
 * charge.dispute.created / updated / closed (issue 16 §2, ADR 0242). The dispute is refetched and its
 * CURRENT status decides, so a `created` delivered after `closed` changes nothing: an open chargeback
 * suspends the licenses of the disputed charge's customer, a dispute closed in our favour lifts that, a
 * lost one revokes them. An inquiry (warning_*) moves no money and changes nothing.
 */
import type Stripe from "stripe";
import type { Queryable } from "../db/queryable.js";
import type { LicenseRow } from "../licenses/row.js";
import { updateLicense } from "../licenses/store.js";
import { notifyLicense } from "../notifications/license-events.js";
import type { HandlerContext, HandlerResult } from "./handlers.js";
import { lockStripeObjects } from "./locks.js";
import { idOf } from "./refs.js";

export type DisputeVerdict = "open" | "won" | "lost" | "inquiry";

/** Pure: what a dispute status means for the license. */
export function disputeVerdict(status: Stripe.Dispute.Status): DisputeVerdict {
  switch (status) {
    case "needs_response":
    case "under_review":
    case "appeal_needs_response":
    case "appeal_under_review":
      return "open";
    case "won":
    case "warning_closed":
    case "prevented":
      return "won";
    case "lost":
      return "lost";
    default:
      // warning_needs_response, warning_under_review: an inquiry; no funds were withdrawn.
      return "inquiry";
  }
}

export async function handleDispute(
  ctx: HandlerContext,
  tx: Queryable,
  event: Stripe.Event,
): Promise<HandlerResult> {
  const dispute = await ctx.deps.stripe.disputes.retrieve((event.data.object as { id: string }).id);
  const verdict = disputeVerdict(dispute.status);
  if (verdict === "inquiry") {
    return { outcome: "ignored", licenseIds: [], message: `dispute ${dispute.id} is an inquiry` };
  }
  const chargeId = idOf(dispute.charge);
  const charge = chargeId ? await ctx.deps.stripe.charges.retrieve(chargeId) : undefined;
  const customerId = idOf(charge?.customer);
  if (!customerId) return { outcome: "no_license", licenseIds: [] };
  await lockStripeObjects(tx, [customerId]);
  const licenses = await tx.query<LicenseRow>(
    "SELECT * FROM licenses WHERE stripe_customer_id = $1 AND provisioning_type = 'paid' ORDER BY id FOR UPDATE",
    [customerId],
  );
  const now = ctx.deps.clock.now();
  const changed: string[] = [];
  for (const license of licenses.rows) {
    const facts =
      verdict === "open"
        ? { disputed_at: license.disputed_at ?? now }
        : verdict === "won"
          ? { disputed_at: null }
          : { disputed_at: null, dispute_lost_at: license.dispute_lost_at ?? now };
    const after = await updateLicense(tx, license, facts, {
      actor: `stripe:${event.id}`,
      action: verdict === "open" ? "license.dispute_opened" : `license.dispute_${verdict}`,
      now,
      paymentGraceMs: ctx.deps.config.paymentGraceMs,
      details: { disputeId: dispute.id, chargeId: chargeId ?? null, disputeStatus: dispute.status },
    });
    if (after === license) continue;
    changed.push(license.id);
    await notifyLicense(
      tx,
      after,
      verdict === "open"
        ? {
            kind: "dispute_opened",
            data: { licenseId: after.id, organization: after.organization, at: now.toISOString() },
            dedupeKey: `dispute_opened:${after.id}:${dispute.id}`,
          }
        : {
            kind: "dispute_closed",
            data: {
              licenseId: after.id,
              organization: after.organization,
              won: verdict === "won" ? "yes" : "no",
            },
            dedupeKey: `dispute_closed:${after.id}:${dispute.id}`,
          },
      now,
    );
  }
  return {
    outcome: licenses.rows.length ? "processed" : "no_license",
    licenseIds: licenses.rows.map((l) => l.id),
    ...(licenses.rows.length && !changed.length ? { message: "licenses already reflect the dispute" } : {}),
  };
}
