/**
 * The `coditect.ai/user` label billing puts on each Workstation so `kubectl get ws -l coditect.ai/user=…`
 * finds a person's workstations (ADR 0137). A label value allows at most 63 of [A-Za-z0-9._-], starting
 * and ending alphanumeric, so the email is spelled for labels: lower-cased, `@` as `_at_`, any other
 * character outside the alphabet as `_`, e.g. `Alice.Smith+dev@Example.com` → `alice.smith_dev_at_example.com`.
 * An address longer than 63 characters that way keeps its first 46 and appends `-` and 16 hex characters of
 * its SHA-256, so it stays unique. The label is a lookup aid; spec.user holds the exact address.
 */
import { createHash } from "node:crypto";

export const USER_LABEL = "coditect.ai/user";
const MAX = 63;

export function userLabelValue(email: string): string {
  const normalized = email.trim().toLowerCase();
  const spelled = normalized
    .replace(/@/g, "_at_")
    .replace(/[^a-z0-9._-]/g, "_")
    .replace(/^[^a-z0-9]+|[^a-z0-9]+$/g, "");
  if (spelled.length > 0 && spelled.length <= MAX) return spelled;
  const hash = createHash("sha256").update(normalized).digest("hex").slice(0, 16);
  const head = spelled.slice(0, MAX - hash.length - 1).replace(/[^a-z0-9]+$/, "");
  return head ? `${head}-${hash}` : hash;
}
