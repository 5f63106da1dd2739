/**
 * ResourceClient.watch against the API test server: events from a resourceVersion (multi-byte text
 * included), label selectors, bookmarks, 410 Expired as an ERROR event, abort, a clean end by the server,
 * a reset connection, a non-2xx answer to the watch request, and an onEvent that throws.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { eventually, FIXTURES_DIR, widget } from "../../test-support/kube-apiserver/fixtures/helpers.js";
import { type KubeApiServer, startKubeApiServer } from "../../test-support/kube-apiserver/index.js";
import { kubeConnectionFor } from "../../test-support/kube-apiserver/kubeconfig.js";
import { createKubeClient, type KubeClient, type ResourceClient } from "./client.js";
import { KubeApiError, KubeConnectionError } from "./errors.js";
import type { KubeObject, Status, WatchEvent } from "./objects.js";
import { NamespaceResource, type ResourceRef } from "./resources.js";

const WidgetResource: ResourceRef = {
  group: "test.coditect.ai",
  version: "v1",
  plural: "widgets",
  kind: "Widget",
};
type Widget = KubeObject & { spec?: Record<string, unknown> };

let server: KubeApiServer;
let kube: KubeClient;
let widgets: ResourceClient<Widget>;
let counter = 0;

beforeAll(async () => {
  server = await startKubeApiServer({
    crdDirs: [FIXTURES_DIR],
    watchHistorySize: 5,
    bookmarkIntervalMs: 100,
  });
  kube = createKubeClient(kubeConnectionFor({ url: server.url, caPem: undefined, token: "t" }));
  widgets = kube.resource<Widget>(WidgetResource);
});
afterAll(async () => {
  await kube?.close();
  await server?.stop();
});

async function freshNamespace(): Promise<{ ns: string; rv: string }> {
  const ns = `watch-${++counter}`;
  await kube.resource(NamespaceResource).create({ metadata: { name: ns } });
  const list = await widgets.list({ namespace: ns });
  return { ns, rv: list.metadata!.resourceVersion! };
}

const create = (ns: string, name: string, labels: Record<string, string> = {}, annotations = {}) =>
  widgets.create({ ...widget(name), metadata: { name, namespace: ns, labels, annotations } });

describe("ResourceClient.watch", () => {
  it("streams ADDED, MODIFIED, DELETED (with multi-byte text) from a resourceVersion until aborted", async () => {
    const { ns, rv } = await freshNamespace();
    const seen: string[] = [];
    const abort = new AbortController();
    const done = widgets.watch(
      { namespace: ns, resourceVersion: rv, allowWatchBookmarks: false, signal: abort.signal },
      (e) => {
        const obj = e.object as Widget;
        seen.push(`${e.type} ${obj.metadata?.name} ${obj.metadata?.annotations?.note ?? ""}`);
      },
    );
    const note = "größe ✓ 名前 🚀".repeat(500); // long enough to cross chunk boundaries mid-character
    await create(ns, "w1", {}, { note });
    await widgets.patch(ns, "w1", { spec: { count: 2 } });
    await widgets.delete(ns, "w1");
    await eventually(() => seen.length === 3, 15_000, "three watch events");
    expect(seen).toEqual([`ADDED w1 ${note}`, `MODIFIED w1 ${note}`, `DELETED w1 ${note}`]);
    abort.abort();
    await expect(done).resolves.toBeUndefined();
  });

  it("filters by label selector and sends BOOKMARKs when allowed", async () => {
    const { ns, rv } = await freshNamespace();
    const events: WatchEvent<Widget>[] = [];
    const abort = new AbortController();
    const done = widgets.watch(
      { namespace: ns, resourceVersion: rv, labelSelector: "team=red", signal: abort.signal },
      (e) => events.push(e),
    );
    await create(ns, "blue", { team: "blue" });
    await create(ns, "red", { team: "red" });
    await eventually(
      () => events.some((e) => e.type === "BOOKMARK") && events.some((e) => e.type === "ADDED"),
    );
    const added = events.filter((e) => e.type === "ADDED").map((e) => (e.object as Widget).metadata?.name);
    expect(added).toEqual(["red"]);
    const bookmark = events.find((e) => e.type === "BOOKMARK")!.object as Widget;
    expect(Number(bookmark.metadata?.resourceVersion)).toBeGreaterThan(0);
    abort.abort();
    await done;
  });

  it("a resourceVersion older than the server's history: an ERROR event with 410, then the stream ends", async () => {
    const { ns, rv } = await freshNamespace();
    for (let i = 0; i < 8; i++) await create(ns, `old-${i}`);
    const events: WatchEvent<Widget>[] = [];
    await widgets.watch({ namespace: ns, resourceVersion: rv }, (e) => events.push(e));
    expect(events).toHaveLength(1);
    expect(events[0]!.type).toBe("ERROR");
    expect((events[0]!.object as Status).code).toBe(410);
  });

  it("resolves when the server ends the watch (timeoutSeconds, dropped) and rejects on a reset connection", async () => {
    const { ns, rv } = await freshNamespace();
    await expect(
      widgets.watch({ namespace: ns, resourceVersion: rv, timeoutSeconds: 1 }, () => {}),
    ).resolves.toBeUndefined();

    const events: string[] = [];
    const closed = widgets.watch({ namespace: ns, resourceVersion: rv, allowWatchBookmarks: false }, (e) =>
      events.push(e.type),
    );
    await create(ns, "before-close");
    await eventually(() => events.length === 1);
    server.faults.dropWatches("close");
    await expect(closed).resolves.toBeUndefined();

    const reset = widgets.watch({ namespace: ns, resourceVersion: rv, allowWatchBookmarks: false }, (e) =>
      events.push(e.type),
    );
    await eventually(() => events.length === 2); // the replayed ADDED: the stream is open
    server.faults.dropWatches("reset");
    const error = await reset.catch((e: unknown) => e);
    expect(error).toBeInstanceOf(KubeConnectionError);
    expect((error as Error).message).toContain("watch widgets");
  });

  it("a non-2xx answer to the watch request rejects with KubeApiError (Retry-After kept)", async () => {
    const { ns, rv } = await freshNamespace();
    server.faults.failNext(1, 429, 4);
    const error = await widgets
      .watch({ namespace: ns, resourceVersion: rv }, () => {})
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(KubeApiError);
    expect(error).toMatchObject({ status: 429, retryAfterSeconds: 4 });
  });

  it("an error thrown by onEvent ends the watch with that error", async () => {
    const { ns, rv } = await freshNamespace();
    const boom = new Error("handler failed");
    const done = widgets
      .watch({ namespace: ns, resourceVersion: rv, allowWatchBookmarks: false }, () => {
        throw boom;
      })
      .catch((e: unknown) => e);
    await create(ns, "trigger");
    expect(await done).toBe(boom);
  });

  it("aborting before the answer arrives (watches held) resolves", async () => {
    const { ns, rv } = await freshNamespace();
    server.faults.holdWatches(true);
    try {
      const abort = new AbortController();
      const done = widgets.watch({ namespace: ns, resourceVersion: rv, signal: abort.signal }, () => {});
      setTimeout(() => abort.abort(), 50);
      await expect(done).resolves.toBeUndefined();
    } finally {
      server.faults.holdWatches(false);
    }
  });

  it("close() ends the client's open watches (they resolve) instead of waiting for them forever", async () => {
    const { ns, rv } = await freshNamespace();
    const own = createKubeClient(kubeConnectionFor({ url: server.url, caPem: undefined, token: "t" }));
    const events: string[] = [];
    const done = own
      .resource<Widget>(WidgetResource)
      .watch({ namespace: ns, resourceVersion: rv, allowWatchBookmarks: false }, (e) => events.push(e.type));
    await create(ns, "seen");
    await eventually(() => events.length === 1);
    await own.close();
    await expect(done).resolves.toBeUndefined();
    expect(events).toEqual(["ADDED"]);
  });

  it("open watches do not hold the request pool's connections (one connection, two watches, requests still answered)", async () => {
    const { ns, rv } = await freshNamespace();
    const narrow = createKubeClient(kubeConnectionFor({ url: server.url, caPem: undefined, token: "t" }), {
      connections: 1,
    });
    const narrowWidgets = narrow.resource<Widget>(WidgetResource);
    const events: string[] = [];
    const watches = [1, 2].map(() =>
      narrowWidgets.watch({ namespace: ns, resourceVersion: rv, allowWatchBookmarks: false }, (e) =>
        events.push(e.type),
      ),
    );
    await narrowWidgets.create({ ...widget("busy"), metadata: { name: "busy", namespace: ns } });
    await eventually(() => events.length === 2, 15_000, "both watches saw the create");
    expect((await narrowWidgets.get(ns, "busy"))?.metadata?.name).toBe("busy");
    await narrow.close();
    await Promise.all(watches);
  });
});
