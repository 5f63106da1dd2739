/**
 * Registry credentials' bookkeeping (ADR 0202): each issuance is recorded (registry_credentials row and a
 * `registry.credential_issued` audit event, never the token), and when a license stops entitling its
 * revocation is audited with how many credentials were still valid and when the last one ends.
 */
import { randomUUID } from "node:crypto";
import { recordAudit } from "../audit.js";
import type { Queryable } from "../db/queryable.js";
import type { RegistryCredential } from "./issuer.js";

export async function recordIssuance(
  tx: Queryable,
  issued: { licenseId: string; tier: string; credential: RegistryCredential; clientIp: string; now: Date },
): Promise<void> {
  const { credential: c } = issued;
  await tx.query(
    `INSERT INTO registry_credentials (id, license_id, kind, tier, repositories, client_ip, issued_at, expires_at)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
    [
      randomUUID(),
      issued.licenseId,
      c.kind,
      issued.tier,
      c.repositories,
      issued.clientIp,
      issued.now,
      c.expiresAt,
    ],
  );
  await recordAudit(tx, {
    at: issued.now,
    actor: "customer:license-key",
    action: "registry.credential_issued",
    licenseId: issued.licenseId,
    before: null,
    after: null,
    details: {
      kind: c.kind,
      tier: issued.tier,
      registry: c.registry,
      repositories: c.repositories,
      expiresAt: c.expiresAt.toISOString(),
      clientIp: issued.clientIp,
    },
  });
}

/** Credentials of a license still valid at `now`: how many, and when the last one ends. */
export async function outstandingCredentials(
  q: Queryable,
  licenseId: string,
  now: Date,
): Promise<{ count: number; lastExpiresAt: Date | null }> {
  const { rows } = await q.query<{ count: string; last: Date | null }>(
    `SELECT count(*) AS count, max(expires_at) AS last FROM registry_credentials
     WHERE license_id = $1 AND expires_at > $2`,
    [licenseId, now],
  );
  return { count: Number(rows[0]?.count ?? 0), lastExpiresAt: rows[0]?.last ?? null };
}

/**
 * Called in the transaction that makes a license stop entitling (licenses/store.ts updateLicense): from
 * this commit no new credential is issued (the token endpoint reads the state under the same row lock);
 * the audit event says how many issued ones keep working until their expiry. Written only for licenses
 * that were ever issued a registry credential.
 */
export async function auditRegistryRevocation(
  tx: Queryable,
  event: { licenseId: string; state: string; reason: string; actor: string; now: Date },
): Promise<void> {
  // A license that never received a registry credential has nothing to revoke there: no event.
  const ever = await tx.query("SELECT 1 FROM registry_credentials WHERE license_id = $1 LIMIT 1", [
    event.licenseId,
  ]);
  if (ever.rows.length === 0) return;
  const outstanding = await outstandingCredentials(tx, event.licenseId, event.now);
  await recordAudit(tx, {
    at: event.now,
    actor: event.actor,
    action: "registry.access_revoked",
    licenseId: event.licenseId,
    before: null,
    after: null,
    details: {
      state: event.state,
      reason: event.reason,
      credentialsStillValid: outstanding.count,
      lastCredentialExpiresAt: outstanding.lastExpiresAt?.toISOString() ?? null,
    },
  });
}
