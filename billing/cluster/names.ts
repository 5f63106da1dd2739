/** Deterministic, DNS-1123 names for resources billing creates, so retries find instead of duplicate. */
import { createHash } from "node:crypto";

/**
 * Name of the n-th workstation bought on a subscription item: `ws-<sub suffix>-<hash>-<n>`.
 * Stripe ids are case-sensitive, so the readable lowercase part is backed by a hash of the exact ids.
 */
export function workstationName(subscriptionId: string, subscriptionItemId: string, index: number): string {
  const readable = subscriptionId
    .replace(/^sub_/, "")
    .toLowerCase()
    .replace(/[^a-z0-9]/g, "")
    .slice(0, 20);
  const digest = createHash("sha256")
    .update(`${subscriptionId}\u0000${subscriptionItemId}`)
    .digest("hex")
    .slice(0, 10);
  return `ws-${readable}-${digest}-${index}`;
}

/** Name of the n-th workstation granted with an admin-created license. */
export function adminWorkstationName(licenseId: string, index: number): string {
  return `ws-adm-${licenseId.replace(/-/g, "").slice(0, 24)}-${index}`;
}
