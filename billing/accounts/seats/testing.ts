/**
 * Test infrastructure for the seat, workstation and container-session routes: an organization with one
 * signed-in person per role plus an outsider, licenses granted through the admin code path, and a caller
 * that speaks the customer API the way a browser does (cookie + CSRF header).
 */

import { createGrantedLicense } from "../../admin/actions.js";
import type { Queryable } from "../../db/queryable.js";
import { withTransaction } from "../../db/tx.js";
import type { Db } from "../../deps.js";
import type { Role } from "../directory.js";
import { signInForTest, type TestAccount } from "../testing/sign-in.js";

export type Person = Role | "outsider";
export const PEOPLE: Person[] = ["owner", "admin", "member", "viewer", "outsider"];

export interface TestOrganization {
  slug: string;
  people: Record<Person, TestAccount>;
}

/** `slug` with an owner, admin, member and viewer (emails `<role>@<slug>.test`) and an outsider. */
export async function testOrganization(db: Queryable, slug: string, now: Date): Promise<TestOrganization> {
  const people = {} as Record<Person, TestAccount>;
  for (const role of ["owner", "admin", "member", "viewer"] as const) {
    people[role] = await signInForTest(db, `${role}@${slug}.test`, now, { organization: slug, role });
  }
  people.outsider = await signInForTest(db, `outsider@${slug}.test`, now);
  return { slug, people };
}

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
