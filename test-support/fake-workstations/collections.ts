/**
 * Helpers shared by the fake's resource stores: list pagination, field-mask updates and etags.
 *
 * Test infrastructure: not used in production.
 */
import { randomBytes } from "node:crypto";
import { status } from "@grpc/grpc-js";
import { FakeStatusError } from "./names.js";

export function newEtag(): string {
  return randomBytes(8).toString("hex");
}

export interface ListRequest {
  pageSize?: number;
  pageToken?: string;
  filter?: string;
}

/** One page of `items` (sorted by name); the page token is the offset of the next item. */
export function paginate<T extends { name: string }>(
  items: T[],
  request: ListRequest,
): { page: T[]; nextPageToken: string } {
  if (request.filter) {
    // Silently ignoring a filter would return wrong results to a caller that relies on it.
    throw new FakeStatusError(
      status.UNIMPLEMENTED,
      `list filters are not modelled by the fake ("${request.filter}")`,
    );
  }
  const offset = request.pageToken ? Number(request.pageToken) : 0;
  if (!Number.isInteger(offset) || offset < 0) {
    throw new FakeStatusError(status.INVALID_ARGUMENT, `page_token "${request.pageToken}" is invalid`);
  }
  const sorted = [...items].sort((a, b) => a.name.localeCompare(b.name));
  const size = request.pageSize && request.pageSize > 0 ? request.pageSize : sorted.length || 1;
  const page = sorted.slice(offset, offset + size);
  const next = offset + size < sorted.length ? String(offset + size) : "";
  return { page, nextPageToken: next };
}

function camelCase(path: string): string {
  return path.replace(/_([a-z])/g, (_, letter: string) => letter.toUpperCase());
}

/**
 * Copies the fields named in `updateMask.paths` (snake_case, top-level only) from `patch` onto a copy of
 * `current`. Only `updatable` fields may be named; anything else is INVALID_ARGUMENT, like GCP does for
 * output-only or immutable fields.
 */
export function applyUpdateMask<T extends object>(
  current: T,
  patch: Partial<T>,
  paths: string[] | undefined,
  updatable: ReadonlyArray<keyof T & string>,
): T {
  if (!paths || paths.length === 0) {
    throw new FakeStatusError(
      status.INVALID_ARGUMENT,
      "update_mask is required and must name at least one field",
    );
  }
  const next = { ...current };
  for (const path of paths) {
    const field = camelCase(path) as keyof T & string;
    if (!updatable.includes(field)) {
      throw new FakeStatusError(
        status.INVALID_ARGUMENT,
        `update_mask path "${path}" is not updatable (updatable: ${updatable.join(", ")})`,
      );
    }
    (next as Record<string, unknown>)[field] = (patch as Record<string, unknown>)[field];
  }
  return next;
}
