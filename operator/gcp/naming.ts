/**
 * Deterministic Cloud Workstations ids for Workstation resources. The id is a pure function of the
 * resource's namespace and name, so a create that crashed before its result was recorded is found again
 * (and adopted) by the next reconcile instead of being repeated under a new id. See ADR 0052.
 */
import { createHash } from "node:crypto";

/** GCP resource ids: RFC 1035 labels (lowercase letter first, then [a-z0-9-], no trailing hyphen, ≤ 63). */
export const GCP_RESOURCE_ID = /^[a-z]([a-z0-9-]{0,61}[a-z0-9])?$/;
const MAX_ID_LENGTH = 63;
const HASH_LENGTH = 10;

const DNS_LABEL = /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/;
const DNS_SUBDOMAIN = /^[a-z0-9]([a-z0-9.-]{0,251}[a-z0-9])?$/;

/**
 * The workstation id for Workstation `namespace/name`: a readable prefix from both names plus a hash of
 * the exact pair. The hash is always present: sanitising and truncating are not injective (`a-b`/`c` and
 * `a`/`b-c` read the same), the hash keeps distinct resources apart.
 *
 * @throws Error when `namespace` is not a DNS label or `name` not a DNS subdomain (not a Kubernetes object).
 */
export function workstationIdFor(namespace: string, name: string): string {
  if (!DNS_LABEL.test(namespace)) {
    throw new Error(`workstationIdFor: namespace "${namespace}" is not a valid Kubernetes namespace name`);
  }
  if (!DNS_SUBDOMAIN.test(name) || name.includes("..")) {
    throw new Error(`workstationIdFor: name "${name}" is not a valid Kubernetes object name`);
  }
  // "/" cannot occur in either part, so this key is unique per resource.
  const hash = createHash("sha256").update(`${namespace}/${name}`).digest("hex").slice(0, HASH_LENGTH);
  let readable = `${namespace}-${name}`.replace(/[^a-z0-9-]/g, "-").replace(/-+/g, "-");
  if (!/^[a-z]/.test(readable)) readable = `ws-${readable}`;
  readable = readable.slice(0, MAX_ID_LENGTH - HASH_LENGTH - 1).replace(/-+$/, "");
  return `${readable}-${hash}`;
}

/**
 * `value` made acceptable as a GCP label value (≤ 63 of lowercase letters, digits, `_` and `-`): other
 * characters — e.g. the dots Kubernetes names may contain — become `_`, the rest is cut. Labels are for
 * finding and filtering; they are lossy, so never use one to identify a resource (use the id or an
 * annotation).
 */
export function gcpLabelValue(value: string): string {
  return value
    .toLowerCase()
    .replace(/[^a-z0-9_-]/g, "_")
    .slice(0, 63);
}

/**
 * Labels that tie a cloud workstation to the Workstation resource it was created for. The operator acts
 * only on a workstation that carries exactly these (never on one someone else made under the same id).
 */
export function ownerLabels(
  namespace: string,
  name: string,
): Record<"coditect-namespace" | "coditect-name", string> {
  return { "coditect-namespace": gcpLabelValue(namespace), "coditect-name": gcpLabelValue(name) };
}

/** Full resource name of workstation `id` in a workstation config. */
export function workstationName(configName: string, id: string): string {
  return `${configName}/workstations/${id}`;
}
