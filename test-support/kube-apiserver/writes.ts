/**
 * Write paths of the API test server with kube-apiserver's semantics: create (generateName, namespace must
 * exist and not be terminating, 409 AlreadyExists), update with optimistic concurrency, the status
 * subresource split, generation bumps on spec changes only, patches, and deletion with finalizers.
 */
import { randomUUID } from "node:crypto";
import type { Clock } from "../../lib/clock.js";
import {
  ApiError,
  alreadyExists,
  badRequest,
  conflict,
  type ErrorSubject,
  type FieldError,
  fieldErrors,
  forbidden,
  invalid,
  notFound,
  STALE_OBJECT,
} from "./errors.js";
import {
  generateName,
  kubeTimestamp,
  sameContent,
  specFingerprint,
  validateMetadata,
  validateName,
} from "./meta.js";
import { asVersion } from "./reads.js";
import type { ObjectStore } from "./store.js";
import { apiVersionOf, type FieldValidationMode, type KubeObject, type ResourceType } from "./types.js";

export interface WriteContext {
  store: ObjectStore;
  clock: Clock;
  /** Called after every stored change (CRD registration and namespace cleanup hook in here). */
  afterChange(rt: ResourceType, type: "stored" | "removed", obj: KubeObject): void;
  /** Strips references to `owner` from its dependents (delete with propagationPolicy=Orphan). */
  orphanDependents(owner: KubeObject): void;
}

export interface WriteOptions {
  subresource?: "status";
  fieldValidation: FieldValidationMode;
  dryRun: boolean;
}

export interface WriteResult {
  code: number;
  object: KubeObject;
  warnings: string[];
}

const NAMESPACES_KEY = "/namespaces";

export function subject(rt: ResourceType, name: string): ErrorSubject {
  return { group: rt.group, resource: rt.plural, kind: rt.kind, name };
}

export function checkBody(rt: ResourceType, body: unknown): KubeObject {
  if (body === null || typeof body !== "object" || Array.isArray(body)) {
    throw badRequest(`the body of the request must be a JSON object describing a ${rt.kind}`);
  }
  const obj = body as KubeObject;
  const expected = apiVersionOf(rt);
  if (obj.apiVersion !== undefined && obj.apiVersion !== expected) {
    throw badRequest(
      `the API version in the data (${obj.apiVersion}) does not match the expected API version (${expected})`,
    );
  }
  if (obj.kind !== undefined && obj.kind !== rt.kind) {
    throw badRequest(`the kind in the data (${obj.kind}) does not match the expected kind (${rt.kind})`);
  }
  if (obj.metadata === undefined || obj.metadata === null) obj.metadata = {};
  if (typeof obj.metadata !== "object" || Array.isArray(obj.metadata))
    throw badRequest("metadata must be an object");
  return obj;
}

/** Runs metadata checks, kind hooks and schema validation; returns the object to store. */
export function validateAndNormalize(
  rt: ResourceType,
  candidate: KubeObject,
  old: KubeObject | undefined,
  opts: WriteOptions,
): { object: KubeObject; warnings: string[] } {
  rt.prepareForWrite?.(candidate, old);
  const errors: FieldError[] = validateMetadata(candidate.metadata);
  let object = candidate;
  let unknownFields: string[] = [];
  if (rt.validate) {
    const result = rt.validate(candidate, old);
    object = result.object;
    errors.push(...result.errors);
    unknownFields = result.unknownFields;
  }
  if (unknownFields.length > 0 && opts.fieldValidation === "Strict") {
    const list = unknownFields.map((f) => `unknown field "${f}"`).join(", ");
    throw badRequest(
      `${rt.kind} in version "${rt.version}" cannot be handled as a ${rt.kind}: strict decoding error: ${list}`,
    );
  }
  if (errors.length > 0) throw invalid(subject(rt, candidate.metadata.name ?? ""), errors);
  const warnings = opts.fieldValidation === "Warn" ? unknownFields.map((f) => `unknown field "${f}"`) : [];
  return { object, warnings };
}

function ensureNamespaceAccepts(ctx: WriteContext, rt: ResourceType, namespace: string, name: string): void {
  const ns = ctx.store.get(NAMESPACES_KEY, "", namespace);
  if (!ns) throw notFound({ group: "", resource: "namespaces", kind: "Namespace", name: namespace });
  if (ns.metadata.deletionTimestamp) {
    throw forbidden(
      `${rt.plural}${rt.group ? `.${rt.group}` : ""} "${name}" is forbidden: unable to create new content in namespace ${namespace} because it is being terminated`,
      {
        name,
        group: rt.group,
        kind: rt.plural,
        causes: [
          {
            reason: "NamespaceTerminating",
            message: `namespace ${namespace} is being terminated`,
            field: "metadata.namespace",
          },
        ],
      },
    );
  }
}

export function createObject(
  ctx: WriteContext,
  rt: ResourceType,
  namespace: string | undefined,
  body: unknown,
  opts: WriteOptions,
): WriteResult {
  const obj = structuredClone(checkBody(rt, body));
  const meta = obj.metadata;
  // kube refuses this (as a 500, oddly) to catch objects copied from a read and re-created unchanged.
  const rvOnCreate = String(meta.resourceVersion ?? "");
  if (/^\d+$/.test(rvOnCreate) && Number(rvOnCreate) !== 0) {
    throw new ApiError(500, "InternalError", "resourceVersion should not be set on objects to be created");
  }
  if (rt.namespaced) {
    if (meta.namespace !== undefined && meta.namespace !== "" && meta.namespace !== namespace) {
      throw badRequest(
        "the namespace of the provided object does not match the namespace sent on the request",
      );
    }
    meta.namespace = namespace;
  } else {
    delete meta.namespace;
  }
  if (!meta.name) {
    if (!meta.generateName) {
      throw invalid(subject(rt, ""), [
        fieldErrors.required("metadata.name", "name or generateName is required"),
      ]);
    }
    meta.name = generateName(meta.generateName);
  }
  const nameErrors = rt.validateName?.(meta.name) ?? validateName(meta.name, rt.nameIsLabel === true);
  if (nameErrors.length > 0) throw invalid(subject(rt, meta.name), nameErrors);
  if (rt.namespaced) ensureNamespaceAccepts(ctx, rt, namespace!, meta.name);

  obj.apiVersion = apiVersionOf(rt);
  obj.kind = rt.kind;
  meta.uid = randomUUID();
  meta.creationTimestamp = kubeTimestamp(ctx.clock.now());
  delete meta.deletionTimestamp;
  delete meta.deletionGracePeriodSeconds;
  delete meta.resourceVersion;
  delete meta.managedFields;
  if (rt.tracksGeneration) meta.generation = 1;
  else delete meta.generation;
  if (rt.hasStatusSubresource) delete obj.status;
  rt.prepareForCreate?.(obj);
  const { object, warnings } = validateAndNormalize(rt, obj, undefined, opts);

  if (ctx.store.get(rt.storageKey, meta.namespace ?? "", meta.name))
    throw alreadyExists(subject(rt, meta.name));
  if (opts.dryRun) return { code: 201, object, warnings };
  object.metadata.resourceVersion = String(ctx.store.nextResourceVersion());
  ctx.store.put(rt.storageKey, object);
  ctx.afterChange(rt, "stored", object);
  return { code: 201, object, warnings };
}

/** Applies the main-resource or status-subresource strategy to an incoming full object. */
export function prepareUpdate(
  rt: ResourceType,
  incoming: KubeObject,
  current: KubeObject,
  opts: WriteOptions,
): KubeObject {
  let next: KubeObject;
  if (opts.subresource === "status") {
    next = structuredClone(current);
    if (incoming.status === undefined) delete next.status;
    else next.status = structuredClone(incoming.status);
  } else {
    next = structuredClone(incoming);
    if (rt.hasStatusSubresource) {
      if (current.status === undefined) delete next.status;
      else next.status = current.status;
    }
    const cm = current.metadata;
    const nm = next.metadata;
    nm.uid = cm.uid;
    nm.creationTimestamp = cm.creationTimestamp;
    nm.name = cm.name;
    if (rt.namespaced) nm.namespace = cm.namespace;
    else delete nm.namespace;
    for (const key of ["generation", "deletionTimestamp", "deletionGracePeriodSeconds"] as const) {
      if (cm[key] === undefined) delete nm[key];
      else nm[key] = cm[key] as never;
    }
    if (cm.deletionTimestamp) {
      const added = (nm.finalizers ?? []).filter((f) => !(cm.finalizers ?? []).includes(f));
      if (added.length > 0) {
        throw invalid(subject(rt, cm.name!), [
          fieldErrors.forbidden(
            "metadata.finalizers",
            `no new finalizers can be added if the object is being deleted, found new finalizers []string{${added.map((f) => JSON.stringify(f)).join(", ")}}`,
          ),
        ]);
      }
    }
  }
  next.apiVersion = apiVersionOf(rt);
  next.kind = rt.kind;
  next.metadata.resourceVersion = current.metadata.resourceVersion;
  if (
    rt.tracksGeneration &&
    specFingerprint(next, rt.hasStatusSubresource) !== specFingerprint(current, rt.hasStatusSubresource)
  ) {
    next.metadata.generation = (current.metadata.generation ?? 0) + 1;
  }
  return next;
}

/** Stores `next` (or removes it when deletion is pending and the last finalizer is gone). */
export function commitUpdate(
  ctx: WriteContext,
  rt: ResourceType,
  current: KubeObject,
  next: KubeObject,
  opts: WriteOptions,
  warnings: string[],
): WriteResult {
  if (sameContent(next, current)) return { code: 200, object: asVersion(rt, current), warnings };
  if (opts.dryRun) return { code: 200, object: next, warnings };
  next.metadata.resourceVersion = String(ctx.store.nextResourceVersion());
  if (next.metadata.deletionTimestamp && (next.metadata.finalizers ?? []).length === 0) {
    ctx.store.remove(rt.storageKey, next);
    ctx.afterChange(rt, "removed", next);
  } else {
    ctx.store.put(rt.storageKey, next);
    ctx.afterChange(rt, "stored", next);
  }
  return { code: 200, object: next, warnings };
}

export function currentOrNotFound(
  ctx: WriteContext,
  rt: ResourceType,
  namespace: string | undefined,
  name: string,
): KubeObject {
  const current = ctx.store.get(rt.storageKey, rt.namespaced ? (namespace ?? "") : "", name);
  if (!current) throw notFound(subject(rt, name));
  return current;
}

export function updateObject(
  ctx: WriteContext,
  rt: ResourceType,
  namespace: string | undefined,
  name: string,
  body: unknown,
  opts: WriteOptions,
): WriteResult {
  const incoming = checkBody(rt, body);
  if (incoming.metadata.name !== undefined && incoming.metadata.name !== name) {
    throw badRequest(
      `the name of the object (${incoming.metadata.name}) does not match the name on the URL (${name})`,
    );
  }
  if (rt.namespaced && incoming.metadata.namespace && incoming.metadata.namespace !== namespace) {
    throw badRequest("the namespace of the provided object does not match the namespace sent on the request");
  }
  const current = currentOrNotFound(ctx, rt, namespace, name);
  const uid = incoming.metadata.uid;
  if (uid && uid !== current.metadata.uid) {
    throw conflict(
      subject(rt, name),
      `Precondition failed: UID in precondition: ${uid}, UID in object meta: ${current.metadata.uid}`,
    );
  }
  const rv = incoming.metadata.resourceVersion;
  if (rv !== undefined && rv !== "" && rv !== current.metadata.resourceVersion)
    throw conflict(subject(rt, name), STALE_OBJECT);
  const next = prepareUpdate(rt, incoming, current, opts);
  const { object, warnings } = validateAndNormalize(rt, next, current, opts);
  return commitUpdate(ctx, rt, current, object, opts, warnings);
}
