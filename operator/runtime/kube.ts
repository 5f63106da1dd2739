/**
 * The operator's view of lib/kube (issue 18): the object types and work-queue keys come from
 * lib/kube/objects.ts, typed requests from lib/kube's ResourceClient (made once per process from one
 * KubeClient that carries the QPS/burst rate limit, ADR 0262). What stays here is the operator's own
 * patch arithmetic: the top-level merge patch its status writes send, and the JSON equality behind it.
 */

export type { ResourceClient } from "../../lib/kube/client.js";
export { type KubeObject, objectKey, splitKey } from "../../lib/kube/objects.js";
export type { ResourceRef } from "../../lib/kube/resources.js";

/**
 * The merge patch that turns `before` into `after` at the top level of a plain object: changed or new
 * keys carry the new value, removed keys are set to null (merge-patch's "delete"). Arrays and nested
 * objects are replaced whole, which is what status writes want.
 */
export function topLevelMergePatch(before: object | undefined, after: object): Record<string, unknown> {
  const patch: Record<string, unknown> = {};
  const old = (before ?? {}) as Record<string, unknown>;
  const next = after as Record<string, unknown>;
  for (const [key, value] of Object.entries(next)) {
    if (value !== undefined && !deepEqual(old[key], value)) patch[key] = value;
  }
  for (const key of Object.keys(old))
    if (next[key] === undefined && old[key] !== undefined) patch[key] = null;
  return patch;
}

/** Structural equality of JSON values, independent of object key order (the API server may reorder keys). */
export function deepEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== "object" || typeof b !== "object" || a === null || b === null) return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  if (Array.isArray(a)) {
    const other = b as unknown[];
    return a.length === other.length && a.every((item, i) => deepEqual(item, other[i]));
  }
  const ka = Object.keys(a).filter((k) => (a as Record<string, unknown>)[k] !== undefined);
  const kb = Object.keys(b).filter((k) => (b as Record<string, unknown>)[k] !== undefined);
  return (
    ka.length === kb.length &&
    ka.every((k) => deepEqual((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k]))
  );
}
