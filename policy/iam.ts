/**
 * Reads role grants out of any GCP IAM resource, whichever of the three shapes it takes:
 * `…IAMMember` (role + member), `…IAMBinding` (role + members) or `…IAMPolicy` (policyData JSON with
 * bindings). The IAM rules are written once against these grants instead of once per service.
 */

/** Members that make a grant public; never allowed on our resources. */
export const PUBLIC_MEMBERS: readonly string[] = ["allUsers", "allAuthenticatedUsers"];

/** Basic (primitive) roles: far broader than any component needs. */
export const BASIC_ROLES: readonly string[] = ["roles/owner", "roles/editor", "roles/viewer"];

export interface Grant {
  role: string | undefined;
  member: string;
}

/** True for every `gcp:<module>/<x>IAMMember|Binding|Policy` type token, whatever the casing. */
export function isIamType(type: string): boolean {
  return type.startsWith("gcp:") && /:[A-Za-z]*I[Aa][Mm](Member|Binding|Policy)$/.test(type);
}

/** IAM resources of one provider module, e.g. `iamTypeIn("kms")`. */
export function iamTypeIn(...modules: string[]): (type: string) => boolean {
  return (type) => isIamType(type) && modules.some((module) => type.startsWith(`gcp:${module}/`));
}

function policyDataGrants(policyData: unknown): Grant[] {
  if (typeof policyData !== "string") return [];
  let parsed: unknown;
  try {
    parsed = JSON.parse(policyData);
  } catch {
    // Unresolved outputs (mocks) are not JSON; nothing can be checked until the value is known.
    return [];
  }
  const bindings = (parsed as { bindings?: unknown })?.bindings;
  if (!Array.isArray(bindings)) return [];
  return bindings.flatMap((binding: { role?: unknown; members?: unknown }) =>
    Array.isArray(binding?.members)
      ? binding.members
          .filter((member): member is string => typeof member === "string")
          .map((member) => ({ role: typeof binding.role === "string" ? binding.role : undefined, member }))
      : [],
  );
}

/** Every (role, member) pair an IAM resource grants. */
export function grantsOf(props: Record<string, unknown>): Grant[] {
  const role = typeof props.role === "string" ? props.role : undefined;
  const grants: Grant[] = [];
  if (typeof props.member === "string") grants.push({ role, member: props.member });
  if (Array.isArray(props.members)) {
    for (const member of props.members) if (typeof member === "string") grants.push({ role, member });
  }
  return grants.concat(policyDataGrants(props.policyData));
}

/** Messages for each public member granted, naming the field that carries it. */
export function publicGrantProblems(props: Record<string, unknown>): string[] {
  return grantsOf(props)
    .filter((grant) => PUBLIC_MEMBERS.includes(grant.member))
    .map((grant) => `grants ${grant.role ?? "a role"} to the public member ${grant.member}`);
}
