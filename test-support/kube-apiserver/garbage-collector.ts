/**
 * Garbage collection through ownerReferences, done synchronously when an owner is removed (kube's
 * background propagation): a dependent whose owners are all gone is deleted (its finalizers honoured), a
 * dependent that still has a live owner only loses the dangling reference. `propagationPolicy: Orphan`
 * strips the owner's references from its dependents instead. Foreground propagation is treated as background.
 */
import { deleteObject } from "./deletes.js";
import { ApiError } from "./errors.js";
import type { ResourceRegistry } from "./registry.js";
import type { KubeObject, ResourceType } from "./types.js";
import { updateObject, type WriteContext } from "./writes.js";

interface ObjectRef {
  storageKey: string;
  namespace: string;
  name: string;
}

const SEP = "\u0000";

function keyOf(ref: ObjectRef): string {
  return [ref.storageKey, ref.namespace, ref.name].join(SEP);
}

function refOf(rt: ResourceType, obj: KubeObject): ObjectRef {
  return { storageKey: rt.storageKey, namespace: obj.metadata.namespace ?? "", name: obj.metadata.name! };
}

function ownerUids(obj: KubeObject): string[] {
  return (obj.metadata.ownerReferences ?? []).map((r) => String(r.uid ?? ""));
}

export class GarbageCollector {
  readonly #registry: ResourceRegistry;
  /** uid → where every live object is. */
  readonly #live = new Map<string, ObjectRef>();
  /** owner uid → keys of objects that (at some point) referenced it; entries are re-checked before use. */
  readonly #dependents = new Map<string, Set<string>>();
  ctx!: WriteContext;

  constructor(registry: ResourceRegistry) {
    this.#registry = registry;
  }

  objectStored(rt: ResourceType, obj: KubeObject): void {
    const ref = refOf(rt, obj);
    this.#live.set(obj.metadata.uid!, ref);
    for (const owner of ownerUids(obj)) {
      let set = this.#dependents.get(owner);
      if (!set) {
        set = new Set();
        this.#dependents.set(owner, set);
      }
      set.add(keyOf(ref));
    }
  }

  objectRemoved(obj: KubeObject): void {
    const uid = obj.metadata.uid!;
    this.#live.delete(uid);
    const dependents = this.#dependents.get(uid);
    this.#dependents.delete(uid);
    for (const key of dependents ?? []) this.#collect(key, uid, "collect");
  }

  /** propagationPolicy=Orphan: the owner's dependents keep existing without their reference to it. */
  orphanDependents(owner: KubeObject): void {
    const uid = owner.metadata.uid!;
    const dependents = this.#dependents.get(uid);
    this.#dependents.delete(uid);
    for (const key of dependents ?? []) this.#collect(key, uid, "orphan");
  }

  #typeFor(storageKey: string): ResourceType | undefined {
    return this.#registry.all().find((rt) => rt.storageKey === storageKey);
  }

  #collect(key: string, ownerUid: string, mode: "collect" | "orphan"): void {
    const [storageKey, namespace, name] = key.split(SEP) as [string, string, string];
    const rt = this.#typeFor(storageKey);
    const obj = this.ctx.store.get(storageKey, namespace, name);
    if (!rt || !obj || !ownerUids(obj).includes(ownerUid)) return;
    const remaining = (obj.metadata.ownerReferences ?? []).filter((r) => {
      const uid = String(r.uid ?? "");
      return uid !== ownerUid && this.#live.has(uid);
    });
    const ns = rt.namespaced ? namespace : undefined;
    try {
      if (mode === "collect" && remaining.length === 0) {
        if (!obj.metadata.deletionTimestamp) deleteObject(this.ctx, rt, ns, name, { dryRun: false });
      } else {
        const next: KubeObject = { ...obj, metadata: { ...obj.metadata, ownerReferences: remaining } };
        if (remaining.length === 0) delete next.metadata.ownerReferences;
        updateObject(this.ctx, rt, ns, name, next, { fieldValidation: "Ignore", dryRun: false });
      }
    } catch (error) {
      // The dependent changed or vanished meanwhile: nothing left to collect.
      if (!(error instanceof ApiError) || (error.code !== 404 && error.code !== 409)) throw error;
    }
  }
}
