/**
 * Test infrastructure for the seat, workstation and container-session routes: licenses granted through the
 * admin code path, and a caller that speaks the customer API the way a browser does (cookie + CSRF header).
 * The organization with one person per role is ../testing/organization.ts.
 */

import { createGrantedLicense } from "../../admin/actions.js";
import { withTransaction } from "../../db/tx.js";
import type { Db } from "../../deps.js";
import type { TestAccount } from "../testing/sign-in.js";

/** A pilot license of the organization (admin code path), with `workstations` standard workstations. */
export async function grantLicense(
  db: Db,
  now: Date,
  options: { organization: string; seats: number; workstations?: number; customerEmail?: string },
): Promise<{ id: string; key: string; workstations: string[] }> {
  const { license, key } = await withTransaction(db, (tx) =>
    createGrantedLicense(
      tx,
      {
        organization: options.organization,
        customerEmail: options.customerEmail ?? `owner@${options.organization}.test`,
        tier: "pro",
        provisioningType: "pilot",
        durationDays: 30,
        seats: options.seats,
        workstations: options.workstations ?? 0,
        ...(options.workstations ? { workstationTier: "standard" as const } : {}),
      },
      { actor: "admin", action: "license.created", now, paymentGraceMs: 7 * 86_400_000 },
    ),
  );
  const names = await db.query<{ name: string }>(
    "SELECT name FROM provisioned_workstations WHERE license_id = $1 ORDER BY name",
    [license.id],
  );
  return { id: license.id, key, workstations: names.rows.map((r) => r.name) };
}

// biome-ignore lint/suspicious/noExplicitAny: response bodies are read loosely in assertions
export type Answer = { status: number; body: any };

/** Calls the customer API at `base` as `who` (no one: no cookie). */
export async function callAs(
  base: string,
  who: TestAccount | undefined,
  method: string,
  path: string,
  body?: unknown,
): Promise<Answer> {
  const headers: Record<string, string> = who ? { ...who.headers } : { "content-type": "application/json" };
  const res = await fetch(`${base}/v1/account${path}`, {
    method,
    headers,
    ...(method === "GET" ? {} : { body: JSON.stringify(body ?? {}) }),
  });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : null };
}
