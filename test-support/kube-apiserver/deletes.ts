/**
 * DELETE for the API test server: preconditions, finalizers (mark with deletionTimestamp, remove when the
 * last one goes), namespaces always terminate first, and forced removal for the controllers.
 */
import { conflict } from "./errors.js";
import { kubeTimestamp } from "./meta.js";
import { asVersion } from "./reads.js";
import type { KubeObject, ResourceType } from "./types.js";
import { currentOrNotFound, subject, type WriteContext, type WriteResult } from "./writes.js";

export interface DeleteOptions {
  preconditions?: { uid?: string; resourceVersion?: string };
  dryRun: boolean;
  /** Orphan keeps dependents (their ownerReferences to this object are removed); others delete them. */
  propagationPolicy?: "Orphan" | "Background" | "Foreground";
}

/** Deletes now, or marks for deletion (deletionTimestamp) while finalizers remain. */
export function deleteObject(
  ctx: WriteContext,
  rt: ResourceType,
  namespace: string | undefined,
  name: string,
  opts: DeleteOptions,
): WriteResult {
  const current = currentOrNotFound(ctx, rt, namespace, name);
  const pre = opts.preconditions;
  if (pre?.uid && pre.uid !== current.metadata.uid) {
    throw conflict(
      subject(rt, name),
      `Precondition failed: UID in precondition: ${pre.uid}, UID in object meta: ${current.metadata.uid}`,
    );
  }
  if (pre?.resourceVersion && pre.resourceVersion !== current.metadata.resourceVersion) {
    throw conflict(
      subject(rt, name),
      `Precondition failed: ResourceVersion in precondition: ${pre.resourceVersion}, ResourceVersion in object meta: ${current.metadata.resourceVersion}`,
    );
  }
  if (opts.propagationPolicy === "Orphan" && !opts.dryRun) ctx.orphanDependents(current);
  const finalizers = current.metadata.finalizers ?? [];
  if (finalizers.length > 0 || rt.plural === "namespaces") {
    if (current.metadata.deletionTimestamp)
      return { code: 200, object: asVersion(rt, current), warnings: [] };
    const marked: KubeObject = { ...current, metadata: { ...current.metadata } };
    marked.metadata.deletionTimestamp = kubeTimestamp(ctx.clock.now());
    marked.metadata.deletionGracePeriodSeconds = 0;
    if (rt.plural === "namespaces")
      marked.status = { ...(current.status as object | undefined), phase: "Terminating" };
    if (rt.tracksGeneration) marked.metadata.generation = (current.metadata.generation ?? 0) + 1;
    if (opts.dryRun) return { code: 200, object: marked, warnings: [] };
    marked.metadata.resourceVersion = String(ctx.store.nextResourceVersion());
    ctx.store.put(rt.storageKey, marked);
    ctx.afterChange(rt, "stored", marked);
    return { code: 200, object: asVersion(rt, marked), warnings: [] };
  }
  const final: KubeObject = { ...current, metadata: { ...current.metadata } };
  if (opts.dryRun) return { code: 200, object: final, warnings: [] };
  final.metadata.resourceVersion = String(ctx.store.nextResourceVersion());
  ctx.store.remove(rt.storageKey, final);
  ctx.afterChange(rt, "removed", final);
  return { code: 200, object: asVersion(rt, final), warnings: [] };
}

/** Removes an object regardless of finalizers (namespace controller's last step, CRD cleanup). */
export function forceRemove(ctx: WriteContext, rt: ResourceType, obj: KubeObject): void {
  const final: KubeObject = {
    ...obj,
    metadata: { ...obj.metadata, resourceVersion: String(ctx.store.nextResourceVersion()) },
  };
  if (ctx.store.remove(rt.storageKey, final)) ctx.afterChange(rt, "removed", final);
}
