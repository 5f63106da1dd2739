/**
 * Pure edits of an IAM policy's bindings for the operator's one role. Each returns the new bindings, or
 * null when the policy already says what is wanted — so the caller skips the write and the etag stays.
 * Conditional bindings are never touched: the operator only manages the unconditional one.
 */

/** The role that lets a user use (connect to, start, stop) a workstation. */
export const WORKSTATION_USER_ROLE = "roles/workstations.user";

export interface PolicyBinding {
  role?: string | null;
  members?: string[] | null;
  condition?: unknown;
}

function sameMember(a: string, b: string): boolean {
  // IAM treats the e-mail part case-insensitively.
  return a.toLowerCase() === b.toLowerCase();
}

function isTarget(binding: PolicyBinding, role: string): boolean {
  return binding.role === role && !binding.condition;
}

/** Bindings with `member` added to the unconditional `role` binding; null if it is already there. */
export function addMember<B extends PolicyBinding>(
  bindings: B[],
  role: string,
  member: string,
): Array<B | { role: string; members: string[] }> | null {
  const target = bindings.find((b) => isTarget(b, role));
  if (target?.members?.some((m) => sameMember(m, member))) return null;
  if (!target) return [...bindings, { role, members: [member] }];
  return bindings.map((b) => (b === target ? { ...b, members: [...(b.members ?? []), member] } : b));
}

/** Bindings without `member` in the unconditional `role` binding (dropped when empty); null if absent. */
export function removeMember<B extends PolicyBinding>(
  bindings: B[],
  role: string,
  member: string,
): B[] | null {
  const target = bindings.find((b) => isTarget(b, role));
  if (!target?.members?.some((m) => sameMember(m, member))) return null;
  const members = (target.members ?? []).filter((m) => !sameMember(m, member));
  return bindings.flatMap((b) => (b !== target ? [b] : members.length > 0 ? [{ ...b, members }] : []));
}
