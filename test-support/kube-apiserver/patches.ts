/**
 * PATCH for the API test server: picks the patch format from the Content-Type, applies it to the stored
 * object and then runs the same update path as PUT (status split, generation, validation, conflicts).
 */
import { badRequest, conflict, notFound, STALE_OBJECT, unsupportedMediaType } from "./errors.js";
import { applyConfiguration, jsonPatch, mergePatch, stripStrategicDirectives } from "./patch.js";
import { asVersion } from "./reads.js";
import type { ResourceType } from "./types.js";
import {
  checkBody,
  commitUpdate,
  createObject,
  prepareUpdate,
  subject,
  validateAndNormalize,
  type WriteContext,
  type WriteOptions,
  type WriteResult,
} from "./writes.js";

export type PatchKind = "merge" | "json" | "strategic" | "apply";

export function patchKindOf(contentType: string, rt: ResourceType): PatchKind {
  const type = contentType.split(";")[0]!.trim().toLowerCase();
  if (type === "application/merge-patch+json") return "merge";
  if (type === "application/json-patch+json") return "json";
  if (type === "application/apply-patch+yaml" || type === "application/apply-patch+json") return "apply";
  // Strategic merge patch needs Go struct tags; kube itself refuses it for custom resources.
  if (type === "application/strategic-merge-patch+json" && !rt.schema) return "strategic";
  throw unsupportedMediaType(contentType);
}

export function patchObject(
  ctx: WriteContext,
  rt: ResourceType,
  namespace: string | undefined,
  name: string,
  kind: PatchKind,
  patch: unknown,
  opts: WriteOptions & { fieldManager?: string; force?: boolean },
): WriteResult {
  if (kind === "apply" && !opts.fieldManager) throw badRequest("PATCH /apply requires fieldManager");
  const current = ctx.store.get(rt.storageKey, rt.namespaced ? (namespace ?? "") : "", name);
  if (!current) {
    if (kind !== "apply" || opts.subresource === "status") throw notFound(subject(rt, name));
    const applied = checkBody(rt, patch);
    if (applied.metadata.name !== undefined && applied.metadata.name !== name) {
      throw badRequest(
        `the name of the object (${applied.metadata.name}) does not match the name on the URL (${name})`,
      );
    }
    return createObject(ctx, rt, namespace, { ...applied, metadata: { ...applied.metadata, name } }, opts);
  }
  const base = asVersion(rt, current);
  let patched: unknown;
  switch (kind) {
    case "merge":
      if (patch === null || typeof patch !== "object" || Array.isArray(patch))
        throw badRequest("a merge patch must be a JSON object");
      patched = mergePatch(base, patch);
      break;
    case "strategic":
      patched = mergePatch(base, stripStrategicDirectives(patch));
      break;
    case "json":
      patched = jsonPatch(base, patch);
      break;
    case "apply":
      patched = applyConfiguration(base, checkBody(rt, patch));
      break;
  }
  const candidate = checkBody(rt, patched);
  if (candidate.metadata.name !== name)
    throw badRequest(
      `the name of the object (${candidate.metadata.name}) does not match the name on the URL (${name})`,
    );
  const rv = candidate.metadata.resourceVersion;
  if (rv !== undefined && rv !== current.metadata.resourceVersion)
    throw conflict(subject(rt, name), STALE_OBJECT);
  const next = prepareUpdate(rt, candidate, current, opts);
  const { object, warnings } = validateAndNormalize(rt, next, current, opts);
  return commitUpdate(ctx, rt, current, object, opts, warnings);
}
