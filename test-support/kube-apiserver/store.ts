/**
 * In-memory object storage for the API test server: per resource, objects indexed by namespace then name,
 * one global resourceVersion counter, a bounded per-resource event history for watch resumption, and
 * watcher fan-out. Stored objects are never mutated after they are stored (writers build a new object), so
 * watch events and list results can share them without deep-cloning the world.
 */
import { gone } from "./errors.js";
import type { KubeObject } from "./types.js";

export type EventType = "ADDED" | "MODIFIED" | "DELETED";

export interface StoredEvent {
  type: EventType;
  object: KubeObject;
  /** The object before this event (undefined for ADDED) — lets watchers with selectors translate events. */
  previous: KubeObject | undefined;
  resourceVersion: number;
}

export interface StoreWatcher {
  /** Only events in this namespace (undefined = all). */
  namespace: string | undefined;
  deliver(event: StoredEvent): void;
  /** The resource stopped existing (its CRD was deleted): end the watch, as kube-apiserver does. */
  close(): void;
}

/** Fixed-capacity ring of events, oldest first. */
class EventRing {
  readonly #buffer: (StoredEvent | undefined)[];
  #start = 0;
  #count = 0;
  /** resourceVersion of the newest event that fell out of the ring (0 = nothing evicted yet). */
  evictedThrough = 0;

  constructor(capacity: number) {
    this.#buffer = new Array(Math.max(1, capacity));
  }

  push(event: StoredEvent): void {
    const capacity = this.#buffer.length;
    if (this.#count === capacity) {
      this.evictedThrough = this.#buffer[this.#start]!.resourceVersion;
      this.#buffer[this.#start] = event;
      this.#start = (this.#start + 1) % capacity;
    } else {
      this.#buffer[(this.#start + this.#count) % capacity] = event;
      this.#count += 1;
    }
  }

  /** Events with resourceVersion > after, oldest first. */
  since(after: number): StoredEvent[] {
    const out: StoredEvent[] = [];
    const capacity = this.#buffer.length;
    // Binary search for the first event newer than `after` (events are in increasing resourceVersion order).
    let lo = 0;
    let hi = this.#count;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (this.#buffer[(this.#start + mid) % capacity]!.resourceVersion <= after) lo = mid + 1;
      else hi = mid;
    }
    for (let i = lo; i < this.#count; i++) out.push(this.#buffer[(this.#start + i) % capacity]!);
    return out;
  }
}

function byString(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Index of the first element of sorted `items` greater than `key` (or, when `inclusive`, not less than it). */
function bound(items: string[], key: string, inclusive = false): number {
  let lo = 0;
  let hi = items.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (inclusive ? items[mid]! < key : items[mid]! <= key) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

class ResourceTable {
  readonly byNamespace = new Map<string, Map<string, KubeObject>>();
  readonly watchers = new Set<StoreWatcher>();
  readonly history: EventRing;
  size = 0;
  /** Sorted names per namespace and the sorted namespaces: list order, cached until a create/delete there. */
  readonly #sortedNames = new Map<string, string[]>();
  #sortedNamespaces: string[] | undefined;

  constructor(historySize: number) {
    this.history = new EventRing(historySize);
  }

  invalidateOrder(namespace: string, namespaceSetChanged: boolean): void {
    this.#sortedNames.delete(namespace);
    if (namespaceSetChanged) this.#sortedNamespaces = undefined;
  }

  sortedNamespaces(): string[] {
    this.#sortedNamespaces ??= [...this.byNamespace.keys()].sort(byString);
    return this.#sortedNamespaces;
  }

  sortedNames(namespace: string): string[] {
    let names = this.#sortedNames.get(namespace);
    if (!names) {
      names = [...(this.byNamespace.get(namespace)?.keys() ?? [])].sort(byString);
      this.#sortedNames.set(namespace, names);
    }
    return names;
  }
}

export class ObjectStore {
  #resourceVersion = 0;
  readonly #tables = new Map<string, ResourceTable>();
  readonly #historySize: number;

  constructor(historySize: number) {
    this.#historySize = historySize;
  }

  /** The newest resourceVersion handed out (what a list reports as its resourceVersion). */
  get currentResourceVersion(): number {
    return this.#resourceVersion;
  }

  nextResourceVersion(): number {
    this.#resourceVersion += 1;
    return this.#resourceVersion;
  }

  #table(storageKey: string): ResourceTable {
    let table = this.#tables.get(storageKey);
    if (!table) {
      table = new ResourceTable(this.#historySize);
      this.#tables.set(storageKey, table);
    }
    return table;
  }

  get(storageKey: string, namespace: string, name: string): KubeObject | undefined {
    return this.#tables.get(storageKey)?.byNamespace.get(namespace)?.get(name);
  }

  count(storageKey: string, namespace?: string): number {
    const table = this.#tables.get(storageKey);
    if (!table) return 0;
    return namespace === undefined ? table.size : (table.byNamespace.get(namespace)?.size ?? 0);
  }

  /** Objects in list order (namespace, then name), optionally one namespace, starting after a [namespace, name]. */
  *list(storageKey: string, namespace?: string, after?: [string, string]): Generator<KubeObject> {
    const table = this.#tables.get(storageKey);
    if (!table) return;
    const namespaces = namespace !== undefined ? [namespace] : table.sortedNamespaces();
    // Binary searches keep continue-paging O(page) rather than O(objects).
    for (let n = after ? bound(namespaces, after[0], true) : 0; n < namespaces.length; n++) {
      const ns = namespaces[n]!;
      const objects = table.byNamespace.get(ns);
      if (!objects) continue;
      const names = table.sortedNames(ns);
      const start = after && ns === after[0] ? bound(names, after[1]) : 0;
      for (let i = start; i < names.length; i++) {
        const obj = objects.get(names[i]!);
        if (obj) yield obj;
      }
    }
  }

  /** The objects named `name` in every namespace (a fieldSelector metadata.name=… across namespaces). */
  *withName(storageKey: string, name: string): Generator<KubeObject> {
    const table = this.#tables.get(storageKey);
    if (!table) return;
    for (const ns of table.sortedNamespaces()) {
      const obj = table.byNamespace.get(ns)?.get(name);
      if (obj) yield obj;
    }
  }

  /** Stores an object whose metadata.resourceVersion the caller already set from nextResourceVersion(). */
  put(storageKey: string, object: KubeObject): StoredEvent {
    const table = this.#table(storageKey);
    const ns = object.metadata.namespace ?? "";
    let objects = table.byNamespace.get(ns);
    const newNamespace = !objects;
    if (!objects) {
      objects = new Map();
      table.byNamespace.set(ns, objects);
    }
    const name = object.metadata.name!;
    const previous = objects.get(name);
    objects.set(name, object);
    if (!previous) {
      table.size += 1;
      table.invalidateOrder(ns, newNamespace);
    }
    return this.#record(table, {
      type: previous ? "MODIFIED" : "ADDED",
      object,
      previous,
      resourceVersion: Number(object.metadata.resourceVersion),
    });
  }

  /** Removes an object; `finalState` is the object as last seen, carrying the deletion's resourceVersion. */
  remove(storageKey: string, finalState: KubeObject): StoredEvent | undefined {
    const table = this.#tables.get(storageKey);
    const ns = finalState.metadata.namespace ?? "";
    const objects = table?.byNamespace.get(ns);
    const previous = objects?.get(finalState.metadata.name!);
    if (!table || !objects || !previous) return undefined;
    objects.delete(finalState.metadata.name!);
    const namespaceEmptied = objects.size === 0;
    if (namespaceEmptied) table.byNamespace.delete(ns);
    table.size -= 1;
    table.invalidateOrder(ns, namespaceEmptied);
    return this.#record(table, {
      type: "DELETED",
      object: finalState,
      previous,
      resourceVersion: Number(finalState.metadata.resourceVersion),
    });
  }

  /** Drops a whole resource (its CRD was deleted): its objects are gone and its watches are closed. */
  dropResource(storageKey: string): void {
    const table = this.#tables.get(storageKey);
    if (!table) return;
    this.#tables.delete(storageKey);
    for (const watcher of [...table.watchers]) watcher.close();
  }

  #record(table: ResourceTable, event: StoredEvent): StoredEvent {
    table.history.push(event);
    const ns = event.object.metadata.namespace;
    for (const watcher of table.watchers) {
      if (watcher.namespace === undefined || watcher.namespace === ns) watcher.deliver(event);
    }
    return event;
  }

  /**
   * Registers a watcher and returns the retained events after `fromResourceVersion` that it must replay first.
   * Throws 410 Expired when events after that version have already fallen out of the history window.
   */
  watch(
    storageKey: string,
    fromResourceVersion: number,
    watcher: StoreWatcher,
  ): { replay: StoredEvent[]; cancel: () => void } {
    const table = this.#table(storageKey);
    if (fromResourceVersion < table.history.evictedThrough) {
      throw gone(`too old resource version: ${fromResourceVersion} (${table.history.evictedThrough + 1})`);
    }
    const replay = table.history
      .since(fromResourceVersion)
      .filter((e) => watcher.namespace === undefined || e.object.metadata.namespace === watcher.namespace);
    table.watchers.add(watcher);
    return { replay, cancel: () => table.watchers.delete(watcher) };
  }
}
