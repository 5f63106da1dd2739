/**
 * The messages license changes cause, built from the license row after the change and enqueued in the
 * same transaction (ADR 0210). Each has a dedupe key naming its cause, so the same cause never mails twice
 * (a replayed webhook, a retried admin call, the expiry scan on several replicas).
 */
import type { Queryable } from "../db/queryable.js";
import type { LicenseRow } from "../licenses/row.js";
import { enqueueNotification, type NotificationRequest } from "./outbox.js";

type LicenseMessage = Omit<NotificationRequest, "to" | "licenseId">;

const base = (license: LicenseRow) => ({ licenseId: license.id, organization: license.organization });

/** The receipt links to the success page, where the key is revealed once from the buying browser (ADR 0171). */
export function purchaseReceipt(license: LicenseRow, publicBaseUrl: string): LicenseMessage {
  const session = license.stripe_checkout_session_id ?? "";
  return {
    kind: "purchase_receipt",
    data: {
      ...base(license),
      tier: license.tier,
      revealUrl: `${publicBaseUrl}/v1/checkout/success?session_id=${encodeURIComponent(session)}`,
    },
    dedupeKey: `purchase_receipt:${license.id}`,
  };
}

/** Access ends when the payment grace does (or at the license's end, whichever is known). */
export function paymentFailed(license: LicenseRow, invoiceId: string): LicenseMessage | null {
  const endsAt = license.grace_ends_at ?? license.expires_at;
  if (!endsAt) return null;
  return {
    kind: "payment_failed",
    data: { ...base(license), accessEndsAt: endsAt.toISOString() },
    dedupeKey: `payment_failed:${license.id}:${invoiceId}`,
  };
}

/**
 * An admin created this license for its customer (ADR 0251). The admin path hands the key to the admin
 * (shown once), so there is no reveal link: the mail says where to sign in and never carries the key.
 */
export function welcome(license: LicenseRow, publicBaseUrl: string): LicenseMessage {
  return {
    kind: "welcome",
    data: {
      ...base(license),
      tier: license.tier,
      expiresAt: license.expires_at?.toISOString() ?? null,
      signInUrl: `${publicBaseUrl}/account/`,
    },
    dedupeKey: `welcome:${license.id}`,
  };
}

export function adminRestricted(
  license: LicenseRow,
  kind: "license_revoked" | "license_suspended",
  at: Date,
): LicenseMessage {
  return {
    kind,
    data: { ...base(license), at: at.toISOString() },
    // Suspension can be lifted and applied again: each suspension is its own cause.
    dedupeKey: `${kind}:${license.id}:${at.toISOString()}`,
  };
}

export function keyRotated(license: LicenseRow, at: Date): LicenseMessage {
  return {
    kind: "key_rotated",
    data: { ...base(license), at: at.toISOString() },
    dedupeKey: `key_rotated:${license.id}:${at.toISOString()}`,
  };
}

/** To the license's customer email; a license without one (some admin-created licenses) mails no one. */
export async function notifyLicense(
  tx: Queryable,
  license: LicenseRow,
  message: LicenseMessage | null,
  now: Date,
): Promise<string | null> {
  if (!message || !license.customer_email) return null;
  return enqueueNotification(tx, { ...message, to: license.customer_email, licenseId: license.id }, now);
}
