import { describe, expect, it } from "vitest";
import { ApiError } from "./errors.js";
import { ObjectStore, type StoredEvent } from "./store.js";
import type { KubeObject } from "./types.js";

const KEY = "test/things";

function put(
  store: ObjectStore,
  namespace: string,
  name: string,
  extra: Record<string, unknown> = {},
): KubeObject {
  const obj: KubeObject = {
    metadata: { namespace, name, resourceVersion: String(store.nextResourceVersion()) },
    ...extra,
  };
  store.put(KEY, obj);
  return obj;
}

const names = (objects: Iterable<KubeObject>) =>
  [...objects].map((o) => `${o.metadata.namespace}/${o.metadata.name}`);

describe("ObjectStore listing", () => {
  it("lists by namespace then name and resumes after any key, even one that no longer exists", () => {
    const store = new ObjectStore(10);
    for (const [ns, name] of [
      ["b", "y"],
      ["a", "z"],
      ["b", "x"],
      ["a", "m"],
      ["c", "a"],
    ] as const)
      put(store, ns, name);
    expect(names(store.list(KEY))).toEqual(["a/m", "a/z", "b/x", "b/y", "c/a"]);
    expect(names(store.list(KEY, "b"))).toEqual(["b/x", "b/y"]);
    expect(names(store.list(KEY, undefined, ["a", "z"]))).toEqual(["b/x", "b/y", "c/a"]);
    expect(names(store.list(KEY, undefined, ["b", "xa"]))).toEqual(["b/y", "c/a"]);
    expect(names(store.list(KEY, undefined, ["bb", ""]))).toEqual(["c/a"]);
    expect(names(store.list(KEY, "b", ["b", "x"]))).toEqual(["b/y"]);
    expect(names(store.withName(KEY, "a"))).toEqual(["c/a"]);
    const final = {
      ...store.get(KEY, "b", "x")!,
      metadata: {
        ...store.get(KEY, "b", "x")!.metadata,
        resourceVersion: String(store.nextResourceVersion()),
      },
    };
    store.remove(KEY, final);
    put(store, "b", "w");
    expect(names(store.list(KEY, "b"))).toEqual(["b/w", "b/y"]);
    expect(store.count(KEY)).toBe(5);
    expect(store.count(KEY, "b")).toBe(2);
  });
});

describe("ObjectStore watch history", () => {
  it("replays retained events and answers 410 once events after the requested version were evicted", () => {
    const store = new ObjectStore(3);
    const seen: StoredEvent[] = [];
    const start = store.currentResourceVersion;
    for (let i = 0; i < 3; i++) put(store, "a", `o${i}`);
    const { replay, cancel } = store.watch(KEY, start, {
      namespace: undefined,
      deliver: (e) => seen.push(e),
      close: () => {},
    });
    expect(replay.map((e) => e.type)).toEqual(["ADDED", "ADDED", "ADDED"]);
    put(store, "a", "o0", { changed: true });
    expect(seen.map((e) => `${e.type} ${e.object.metadata.name}`)).toEqual(["MODIFIED o0"]);
    expect(seen[0]!.previous?.changed).toBeUndefined();
    cancel();
    put(store, "a", "o1", { changed: true });
    expect(seen).toHaveLength(1);

    let error: unknown;
    try {
      store.watch(KEY, start, { namespace: undefined, deliver: () => {}, close: () => {} });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ApiError);
    expect((error as ApiError).code).toBe(410);
    const recent = store.watch(KEY, store.currentResourceVersion - 1, {
      namespace: "a",
      deliver: () => {},
      close: () => {},
    });
    expect(recent.replay.map((e) => e.object.metadata.name)).toEqual(["o1"]);
  });

  it("closes watchers when a resource is dropped", () => {
    const store = new ObjectStore(3);
    let closed = false;
    store.watch(KEY, 0, { namespace: undefined, deliver: () => {}, close: () => (closed = true) });
    put(store, "a", "x");
    store.dropResource(KEY);
    expect(closed).toBe(true);
    expect([...store.list(KEY)]).toEqual([]);
  });
});
