/**
 * Read paths of the API test server: get, and list with label/field selectors and limit/continue paging.
 * Continue tokens resume after the last returned key; like kube with an expired snapshot they read current
 * state (we keep no MVCC snapshots — see docs/kube-apiserver.md).
 */
import { badRequest, notFound } from "./errors.js";
import {
  type FieldRequirement,
  type LabelSelector,
  matchesFields,
  matchesLabels,
  parseFieldSelector,
  parseLabelSelector,
} from "./selectors.js";
import type { ObjectStore } from "./store.js";
import { apiVersionOf, type KubeObject, type ResourceType } from "./types.js";

export interface ObjectFilter {
  labels: LabelSelector;
  fields: FieldRequirement[];
}

/** Field labels a resource accepts in fieldSelector. */
export function fieldLabels(rt: ResourceType): string[] {
  return ["metadata.name", "metadata.namespace", ...Object.keys(rt.selectableFields)];
}

export function parseFilter(rt: ResourceType, query: URLSearchParams): ObjectFilter {
  return {
    labels: parseLabelSelector(query.get("labelSelector") ?? undefined),
    fields: parseFieldSelector(query.get("fieldSelector") ?? undefined, fieldLabels(rt)),
  };
}

export function matchesFilter(rt: ResourceType, filter: ObjectFilter, obj: KubeObject): boolean {
  if (!matchesLabels(filter.labels, obj.metadata.labels)) return false;
  if (filter.fields.length === 0) return true;
  return matchesFields(filter.fields, (field) => {
    if (field === "metadata.name") return obj.metadata.name ?? "";
    if (field === "metadata.namespace") return obj.metadata.namespace ?? "";
    return rt.selectableFields[field]?.(obj) ?? "";
  });
}

/** Objects are stored with the apiVersion they were written in; serve them in the requested version. */
export function asVersion(rt: ResourceType, obj: KubeObject): KubeObject {
  const apiVersion = apiVersionOf(rt);
  return obj.apiVersion === apiVersion && obj.kind === rt.kind ? obj : { ...obj, apiVersion, kind: rt.kind };
}

export function getObject(store: ObjectStore, rt: ResourceType, namespace: string, name: string): KubeObject {
  const obj = store.get(rt.storageKey, rt.namespaced ? namespace : "", name);
  if (!obj) throw notFound({ group: rt.group, resource: rt.plural, kind: rt.kind, name });
  return asVersion(rt, obj);
}

interface ContinueToken {
  rv: number;
  ns: string;
  name: string;
}

function decodeContinue(token: string): ContinueToken {
  try {
    const parsed = JSON.parse(Buffer.from(token, "base64url").toString("utf8")) as ContinueToken;
    if (typeof parsed.rv !== "number" || typeof parsed.ns !== "string" || typeof parsed.name !== "string")
      throw new Error("shape");
    return parsed;
  } catch {
    throw badRequest(`continue key is not valid: ${JSON.stringify(token)} is not a token this server issued`);
  }
}

function parseLimit(raw: string | null): number {
  if (raw === null || raw === "") return 0;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 0)
    throw badRequest(`limit must be a non-negative integer, got ${JSON.stringify(raw)}`);
  return n;
}

/** With `metadata.name=x` (what kubectl get/wait/describe send) only that name needs looking at. */
function candidates(
  store: ObjectStore,
  rt: ResourceType,
  namespace: string | undefined,
  filter: ObjectFilter,
  start: ContinueToken | undefined,
): Iterable<KubeObject> {
  const byName = filter.fields.find((f) => f.field === "metadata.name" && f.op === "=");
  if (byName && !start) {
    if (namespace === undefined) return store.withName(rt.storageKey, byName.value);
    const obj = store.get(rt.storageKey, rt.namespaced ? namespace : "", byName.value);
    return obj ? [obj] : [];
  }
  return store.list(
    rt.storageKey,
    rt.namespaced ? namespace : undefined,
    start ? [start.ns, start.name] : undefined,
  );
}

export interface ListResult {
  items: KubeObject[];
  metadata: { resourceVersion: string; continue?: string; remainingItemCount?: number };
}

export function listObjects(
  store: ObjectStore,
  rt: ResourceType,
  namespace: string | undefined,
  query: URLSearchParams,
): ListResult {
  const filter = parseFilter(rt, query);
  const limit = parseLimit(query.get("limit"));
  const token = query.get("continue");
  const start = token ? decodeContinue(token) : undefined;
  const listRv = start?.rv ?? store.currentResourceVersion;
  const items: KubeObject[] = [];
  let more = false;
  for (const obj of candidates(store, rt, namespace, filter, start)) {
    if (!matchesFilter(rt, filter, obj)) continue;
    if (limit > 0 && items.length === limit) {
      more = true;
      break;
    }
    items.push(asVersion(rt, obj));
  }
  const metadata: ListResult["metadata"] = { resourceVersion: String(listRv) };
  if (more) {
    const last = items[items.length - 1]!.metadata;
    metadata.continue = Buffer.from(
      JSON.stringify({ rv: listRv, ns: last.namespace ?? "", name: last.name }),
    ).toString("base64url");
    const unfiltered = filter.labels.length === 0 && filter.fields.length === 0;
    if (unfiltered && !start)
      metadata.remainingItemCount = store.count(rt.storageKey, namespace) - items.length;
  }
  return { items, metadata };
}
