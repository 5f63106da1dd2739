/** What GET /v1/account/me lists: the organizations the signed-in person belongs to, with their role. */
import type { Queryable } from "../../db/queryable.js";
import type { Role } from "../directory.js";

export async function organizationsOf(
  db: Queryable,
  userId: string,
): Promise<{ slug: string; role: Role }[]> {
  const result = await db.query<{ slug: string; role: Role }>(
    "SELECT organization AS slug, role FROM memberships WHERE user_id = $1 ORDER BY organization",
    [userId],
  );
  return result.rows;
}
