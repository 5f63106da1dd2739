/**
 * Test fixture for every /v1/account test that is about roles: an organization with one signed-in person
 * per role, plus an outsider who owns another organization — so a 404 for the outsider shows that being an
 * owner elsewhere grants nothing here.
 */
import type { Queryable } from "../../db/queryable.js";
import type { Role } from "../directory.js";
import { signInForTest, type TestAccount } from "./sign-in.js";

export type Person = Role | "outsider";
export const PEOPLE: Person[] = ["owner", "admin", "member", "viewer", "outsider"];

export type Team = Record<Person, TestAccount>;

export interface TestOrganization {
  slug: string;
  people: Team;
}

/**
 * `slug` with an owner, admin, member and viewer (emails `<role>@<slug>.test`), and an outsider
 * (`outsider@<slug>-other.test`, owner of `<slug>-other`). Signing in again (same slug, later `now`) gives
 * everyone a fresh session.
 */
export async function testOrganization(db: Queryable, slug: string, now: Date): Promise<TestOrganization> {
  const people = {} as Team;
  for (const role of ["owner", "admin", "member", "viewer"] as const) {
    people[role] = await signInForTest(db, `${role}@${slug}.test`, now, { organization: slug, role });
  }
  const other = `${slug}-other`;
  people.outsider = await signInForTest(db, `outsider@${other}.test`, now, {
    organization: other,
    role: "owner",
  });
  return { slug, people };
}
