/**
 * A workstation's own credential (ADR 0150). Google's identity token only says "a workstation of ours":
 * every workstation runs as the same service account. So the operator gives each cloud workstation a
 * random secret through its per-workstation env, records only the secret's SHA-256 in the Workstation
 * resource's status, and labels the resource with the cloud workstation id; the license server finds the
 * resource by that label (an exact match, never a name guess) and accepts the identity token only together
 * with a secret of the recorded hash. Shared by the operator (writes) and billing (checks).
 */
import { createHash, randomBytes, timingSafeEqual } from "node:crypto";

/** The per-workstation env variable that carries the secret into the workstation container. */
export const WORKSTATION_CREDENTIAL_ENV = "CODITECT_WORKSTATION_CREDENTIAL";

/** Label on a Workstation resource: the id of its cloud workstation (last segment of the full name). */
export const WORKSTATION_ID_LABEL = "coditect.ai/workstation-id";

/** Kubernetes label values: ≤ 63 of [A-Za-z0-9_.-], alphanumeric at both ends. */
const LABEL_VALUE = /^[A-Za-z0-9]([A-Za-z0-9_.-]{0,61}[A-Za-z0-9])?$/;

/** Whether `id` can be a value of WORKSTATION_ID_LABEL (cloud ids always can; a caller's guess may not). */
export function isWorkstationIdLabelValue(id: string): boolean {
  return LABEL_VALUE.test(id);
}

/** A fresh credential: 256 random bits, base64url (43 characters). */
export function generateWorkstationCredential(): { secret: string; hash: string } {
  const secret = randomBytes(32).toString("base64url");
  return { secret, hash: workstationCredentialHash(secret) };
}

/** SHA-256 of the credential, lowercase hex: what the Workstation status records. */
export function workstationCredentialHash(secret: string): string {
  return createHash("sha256").update(secret, "utf8").digest("hex");
}

/** Whether `secret` hashes to `recordedHash`, in constant time (a missing record never matches). */
export function workstationCredentialMatches(secret: string, recordedHash: string | undefined): boolean {
  if (!recordedHash || !/^[0-9a-f]{64}$/.test(recordedHash)) return false;
  return timingSafeEqual(
    Buffer.from(workstationCredentialHash(secret), "hex"),
    Buffer.from(recordedHash, "hex"),
  );
}
