/**
 * IAM member checks shared by components (pure): public principals are never granted anything.
 */

/** Principals that would make a resource public (CIS GCP benchmark; seed-notes D4). */
export const PUBLIC_PRINCIPALS = ["allUsers", "allAuthenticatedUsers"] as const;

/** Throws when a member list contains a public principal; `what` names the argument for the message. */
export function assertNoPublicMembers(members: readonly string[], what: string): void {
  const bad = members.filter((m) => (PUBLIC_PRINCIPALS as readonly string[]).includes(m));
  if (bad.length > 0) {
    throw new Error(
      `${what} must not contain public principals (${bad.join(", ")}): grant named identities only`,
    );
  }
}
