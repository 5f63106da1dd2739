/** Read-only queries behind the admin list endpoints (filters become bind parameters, never SQL text). */
import type { z } from "zod";
import type { AuditRecord } from "../audit.js";
import type { Queryable } from "../db/queryable.js";
import type { LicenseRow } from "../licenses/row.js";
import type { ProvisionedWorkstation } from "./provision.js";
import type { auditQuery, listLicensesQuery, listWorkstationsQuery } from "./schemas.js";

class Where {
  readonly clauses: string[] = [];
  readonly values: unknown[] = [];
  add(sqlWithPlaceholder: (p: string) => string, value: unknown): void {
    if (value === undefined) return;
    this.values.push(value);
    this.clauses.push(sqlWithPlaceholder(`$${this.values.length}`));
  }
  toString(): string {
    return this.clauses.length ? `WHERE ${this.clauses.join(" AND ")}` : "";
  }
}

export async function listLicenses(
  q: Queryable,
  query: z.infer<typeof listLicensesQuery>,
): Promise<LicenseRow[]> {
  const where = new Where();
  where.add((p) => `state = ${p}`, query.state);
  where.add((p) => `tier = ${p}`, query.tier);
  where.add((p) => `provisioning_type = ${p}`, query.provisioningType);
  where.add((p) => `organization = ${p}`, query.organization);
  where.add((p) => `lower(customer_email) = lower(${p})`, query.customerEmail);
  where.add(
    (p) => `expiring_soon = ${p}`,
    query.expiringSoon === undefined ? undefined : query.expiringSoon === "true",
  );
  const values = [...where.values, query.limit, query.offset];
  const result = await q.query<LicenseRow>(
    `SELECT * FROM licenses ${where} ORDER BY created_at DESC, id LIMIT $${values.length - 1} OFFSET $${values.length}`,
    values,
  );
  return result.rows;
}

export async function listAuditEvents(
  q: Queryable,
  query: z.infer<typeof auditQuery>,
): Promise<AuditRecord[]> {
  const where = new Where();
  where.add((p) => `license_id = ${p}`, query.licenseId);
  where.add((p) => `action = ${p}`, query.action);
  where.add((p) => `actor = ${p}`, query.actor);
  where.add((p) => `at >= ${p}`, query.from);
  where.add((p) => `at < ${p}`, query.to);
  where.add((p) => `id > ${p}`, query.afterId);
  const values = [...where.values, query.limit];
  const result = await q.query<{
    id: string;
    at: Date;
    actor: string;
    action: string;
    license_id: string | null;
    before: unknown;
    after: unknown;
    details: Record<string, unknown> | null;
  }>(`SELECT * FROM audit_events ${where} ORDER BY id LIMIT $${values.length}`, values);
  return result.rows.map((r) => ({
    id: r.id,
    at: r.at,
    actor: r.actor,
    action: r.action,
    licenseId: r.license_id,
    before: r.before,
    after: r.after,
    ...(r.details ? { details: r.details } : {}),
  }));
}

export async function listWorkstations(
  q: Queryable,
  query: z.infer<typeof listWorkstationsQuery>,
): Promise<ProvisionedWorkstation[]> {
  const where = new Where();
  where.add((p) => `license_id = ${p}`, query.licenseId);
  where.add((p) => `namespace = ${p}`, query.organization);
  where.add((p) => `lower(user_email) = lower(${p})`, query.userEmail);
  const values = [...where.values, query.limit, query.offset];
  const result = await q.query<ProvisionedWorkstation>(
    `SELECT * FROM provisioned_workstations ${where} ORDER BY created_at DESC, name LIMIT $${values.length - 1} OFFSET $${values.length}`,
    values,
  );
  return result.rows;
}
