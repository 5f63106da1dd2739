/**
 * One rule for every string a request carries (ADR 0121): no NUL character (U+0000). PostgreSQL cannot
 * store it in text (SQLSTATE 22P05), and no field of this API has a use for it, so a request with one is
 * refused with 400 naming the field — before any schema or handler sees it, whatever the route.
 */
import type { RequestHandler } from "express";
import { ApiError } from "./errors.js";

/**
 * The path (`items.0.product`, `"a\u0000" (a key)` for a key) of the first string or key containing NUL, or
 * undefined. Iterative, so a deeply nested body cannot overflow the stack.
 */
export function findNulCharacter(value: unknown, root: string): string | undefined {
  const pending: [unknown, string][] = [[value, root]];
  while (pending.length > 0) {
    const [current, path] = pending.pop()!;
    if (typeof current === "string") {
      if (current.includes("\u0000")) return path;
      continue;
    }
    if (current === null || typeof current !== "object") continue;
    for (const [key, child] of Object.entries(current)) {
      if (key.includes("\u0000")) return `${path ? `${path}.` : ""}${JSON.stringify(key)} (a key)`;
      pending.push([child, path ? `${path}.${key}` : key]);
    }
  }
  return undefined;
}

function refuse(field: string): ApiError {
  return new ApiError(400, "invalid_request", `${field}: must not contain the NUL character (\\u0000)`);
}

/** Mounted after the JSON body parser: checks the query string and the parsed body. */
export const rejectNulCharacters: RequestHandler = (req, _res, next) => {
  const inQuery = findNulCharacter(req.query, "");
  if (inQuery !== undefined) return next(refuse(inQuery || "query"));
  const inBody = findNulCharacter(req.body, "");
  if (inBody !== undefined) return next(refuse(inBody || "body"));
  // Path parameters are checked by their schemas (ids are UUIDs); a NUL there is a 400 or 404 already.
  next();
};
