/**
 * What the informer caches keep of an object (ADR 0260). The API server answers with everything it
 * stores — metadata.managedFields (server-side apply's field ownership: often larger than the object
 * itself), kubectl's last-applied-configuration annotation (a second copy of the object) — and no
 * reconciler here reads either. Like controller-runtime's `cache.Options.DefaultTransform =
 * TransformStripManagedFields()`, the transform drops them before the object is stored, so the cache
 * holds about what the reconcilers read (ADR 0260 measures the difference).
 *
 * Dropping is safe because every write the operator makes is a merge patch of the fields it owns,
 * built from the cached object's spec/status — never a PUT of the cached object.
 */
import type { KubeObject } from "./kube.js";

/** kubectl apply's copy of the whole object; nothing in the operator reads it. */
export const LAST_APPLIED_ANNOTATION = "kubectl.kubernetes.io/last-applied-configuration";

/** The default transform of every informer the manager creates. Mutates and returns `obj`. */
export function stripForCache<T extends KubeObject>(obj: T): T {
  const meta = obj.metadata as (T["metadata"] & { managedFields?: unknown; selfLink?: unknown }) | undefined;
  if (!meta) return obj;
  delete meta.managedFields;
  delete meta.selfLink;
  if (meta.annotations && LAST_APPLIED_ANNOTATION in meta.annotations) {
    const { [LAST_APPLIED_ANNOTATION]: _dropped, ...rest } = meta.annotations;
    if (Object.keys(rest).length > 0) meta.annotations = rest;
    else delete meta.annotations;
  }
  return obj;
}
