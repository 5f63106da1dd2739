/**
 * Who may grant and change which role (ADR 0221), as pure decisions the invitation and member routes share:
 * - the owner is one person, fixed: no invitation or role change makes an owner, and the owner's
 *   membership can be neither changed nor removed through the team API;
 * - admins manage members and viewers; only the owner grants, changes or removes the admin role
 *   (an admin cannot demote or remove another admin, nor promote anyone to admin).
 */
import { ApiError } from "../../http/errors.js";
import type { Role } from "../directory.js";

export const GRANTABLE_ROLES = ["admin", "member", "viewer"] as const;
export type GrantableRole = (typeof GRANTABLE_ROLES)[number];

const article = (role: string) => (role === "admin" || role === "owner" ? "an" : "a");

/** Why `actor` may not give someone the role `granted` (invite or promote), or undefined when allowed. */
export function grantProblem(actor: Role, granted: GrantableRole): ApiError | undefined {
  if (actor !== "owner" && actor !== "admin") {
    return new ApiError(
      403,
      "forbidden",
      `this needs the admin role (or higher); you are ${article(actor)} ${actor}`,
    );
  }
  if (granted === "admin" && actor !== "owner") {
    return new ApiError(403, "forbidden", "only the owner may make someone an admin");
  }
  return undefined;
}

/** Why `actor` may not change or remove a member whose role is `target`, or undefined when allowed. */
export function manageProblem(actor: Role, target: Role, what: "change" | "remove"): ApiError | undefined {
  if (target === "owner") {
    return new ApiError(
      409,
      "owner_fixed",
      `the owner's membership cannot be ${what === "change" ? "changed" : "removed"}`,
    );
  }
  if (actor !== "owner" && actor !== "admin") {
    return new ApiError(
      403,
      "forbidden",
      `this needs the admin role (or higher); you are ${article(actor)} ${actor}`,
    );
  }
  if (target === "admin" && actor !== "owner") {
    return new ApiError(403, "forbidden", `only the owner may ${what} an admin`);
  }
  return undefined;
}
