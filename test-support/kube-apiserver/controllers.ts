/**
 * The two controllers a real control plane runs that this product's behaviour depends on, done
 * synchronously after each write: CRD registration (a CRD becomes served the moment it is stored, and its
 * custom resources are dropped with it) and namespace termination (content is deleted, finalizers honoured,
 * and the namespace disappears once empty).
 */
import { resourceTypesForCrd } from "./crd.js";
import { deleteObject, forceRemove } from "./deletes.js";
import { GarbageCollector } from "./garbage-collector.js";
import type { ResourceRegistry } from "./registry.js";
import type { KubeObject, ResourceType } from "./types.js";
import type { WriteContext } from "./writes.js";

const CRD_KEY = "apiextensions.k8s.io/customresourcedefinitions";
const NAMESPACES_KEY = "/namespaces";

export class Controllers {
  readonly #registry: ResourceRegistry;
  readonly gc: GarbageCollector;
  #ctx!: WriteContext;

  constructor(registry: ResourceRegistry) {
    this.#registry = registry;
    this.gc = new GarbageCollector(registry);
  }

  get ctx(): WriteContext {
    return this.#ctx;
  }

  set ctx(ctx: WriteContext) {
    this.#ctx = ctx;
    this.gc.ctx = ctx;
  }

  afterChange(rt: ResourceType, type: "stored" | "removed", obj: KubeObject): void {
    if (type === "stored") this.gc.objectStored(rt, obj);
    else this.gc.objectRemoved(obj);
    if (rt.storageKey === CRD_KEY) this.#crdChanged(type, obj);
    else if (rt.storageKey === NAMESPACES_KEY && type === "stored" && obj.metadata.deletionTimestamp) {
      this.#terminateNamespace(obj.metadata.name!);
    } else if (type === "removed" && rt.namespaced && obj.metadata.namespace) {
      const ns = this.ctx.store.get(NAMESPACES_KEY, "", obj.metadata.namespace);
      if (ns?.metadata.deletionTimestamp) this.#removeNamespaceIfEmpty(ns);
    }
  }

  #crdChanged(type: "stored" | "removed", crd: KubeObject): void {
    const spec = crd.spec as { group: string; names: { plural: string } };
    const storageKey = `${spec.group}/${spec.names.plural}`;
    this.#registry.removeStorage(storageKey);
    if (type === "stored" && !crd.metadata.deletionTimestamp) {
      for (const rt of resourceTypesForCrd(crd)) this.#registry.add(rt);
      return;
    }
    // Deleting a CRD deletes all of its custom resources (kube waits for their finalizers; we do not),
    // and with them their dependents.
    const dropped = [...this.ctx.store.list(storageKey)];
    this.ctx.store.dropResource(storageKey);
    for (const obj of dropped) this.gc.objectRemoved(obj);
    if (type === "stored") {
      const crdType = this.#registry.lookup("apiextensions.k8s.io", "v1", "customresourcedefinitions")!;
      forceRemove(this.ctx, crdType, crd);
    }
  }

  #terminateNamespace(namespace: string): void {
    for (const rt of this.#namespacedStorageTypes()) {
      for (const obj of [...this.ctx.store.list(rt.storageKey, namespace)]) {
        if (!obj.metadata.deletionTimestamp) {
          deleteObject(this.ctx, rt, namespace, obj.metadata.name!, { dryRun: false });
        }
      }
    }
    const ns = this.ctx.store.get(NAMESPACES_KEY, "", namespace);
    if (ns) this.#removeNamespaceIfEmpty(ns);
  }

  #removeNamespaceIfEmpty(ns: KubeObject): void {
    const name = ns.metadata.name!;
    for (const rt of this.#namespacedStorageTypes())
      if (this.ctx.store.count(rt.storageKey, name) > 0) return;
    forceRemove(this.ctx, this.#registry.lookup("", "v1", "namespaces")!, ns);
  }

  /** One type per storage key (several CRD versions share one). */
  #namespacedStorageTypes(): ResourceType[] {
    const seen = new Map<string, ResourceType>();
    for (const rt of this.#registry.all())
      if (rt.namespaced && !seen.has(rt.storageKey)) seen.set(rt.storageKey, rt);
    return [...seen.values()];
  }
}
