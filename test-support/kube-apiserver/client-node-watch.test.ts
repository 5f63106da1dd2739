/**
 * @kubernetes/client-node watches against the API test server: Watch events from a resourceVersion,
 * makeInformer surviving a dropped watch and a 410, and the fault-injection hooks.
 */
import {
  type CoreV1Api,
  type CustomObjectsApi,
  type KubernetesObject,
  makeInformer,
  Watch,
} from "@kubernetes/client-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { apiError, clientsFor, mergePatchOptions, W } from "./fixtures/client-node.js";
import { eventually, FIXTURES_DIR, widget } from "./fixtures/helpers.js";
import { type KubeApiServer, startKubeApiServer } from "./index.js";
import type { KubeObject } from "./types.js";

let server: KubeApiServer;
let custom: CustomObjectsApi;
let core: CoreV1Api;
let freshNamespace: () => Promise<string>;
let create: (namespace: string, obj: KubeObject) => Promise<KubeObject>;
const merge = mergePatchOptions;

beforeAll(async () => {
  server = await startKubeApiServer({ crdDirs: [FIXTURES_DIR], watchHistorySize: 5 });
  ({ custom, core, freshNamespace, create } = clientsFor(server));
});
afterAll(async () => {
  await server?.stop();
});

describe("watch with client-node", () => {
  it("streams ADDED, MODIFIED and DELETED from a resourceVersion", async () => {
    const ns = await freshNamespace();
    const list = (await custom.listNamespacedCustomObject({ ...W, namespace: ns })) as {
      metadata: { resourceVersion: string };
    };
    const seen: string[] = [];
    const watch = new Watch(server.kubeConfig());
    const controller = await watch.watch(
      `${"/apis/test.coditect.ai/v1"}/namespaces/${ns}/widgets`,
      { resourceVersion: list.metadata.resourceVersion },
      (type, obj: KubeObject) =>
        seen.push(`${type} ${obj.metadata.name} ${(obj.spec as { count?: number }).count ?? "-"}`),
      () => {},
    );
    await create(ns, widget("w1"));
    await custom.patchNamespacedCustomObject(
      { ...W, namespace: ns, name: "w1", body: { spec: { count: 2 } } },
      merge,
    );
    await custom.deleteNamespacedCustomObject({ ...W, namespace: ns, name: "w1" });
    await eventually(() => seen.length === 3, 15_000, "three watch events");
    expect(seen).toEqual(["ADDED w1 -", "MODIFIED w1 2", "DELETED w1 2"]);
    controller.abort();
  });

  it("makeInformer survives a dropped watch and relists after 410 Gone", async () => {
    const ns = await freshNamespace();
    await create(ns, widget("i1"));
    let lists = 0;
    const informer = makeInformer<KubernetesObject>(
      server.kubeConfig(),
      `/apis/test.coditect.ai/v1/namespaces/${ns}/widgets`,
      async () => {
        lists += 1;
        return (await custom.listNamespacedCustomObject({ ...W, namespace: ns })) as never;
      },
    );
    const errors: unknown[] = [];
    informer.on("error", (e) => errors.push(e));
    await informer.start();
    const names = () =>
      informer
        .list()
        .map((o) => o.metadata?.name)
        .sort()
        .join(",");
    await eventually(() => names() === "i1", 15_000, "initial list");

    // A dropped connection: the informer resumes from its resourceVersion (no relist).
    server.faults.dropWatches();
    await create(ns, widget("i2"));
    await eventually(() => names() === "i1,i2", 15_000, "event after reconnect");
    expect(lists).toBe(1);

    // Disconnected while more writes than the history window (5) happen: resuming gets 410, so it relists.
    server.faults.holdWatches(true);
    server.faults.dropWatches();
    for (let i = 3; i <= 10; i++) await create(ns, widget(`i${i}`));
    await custom.deleteNamespacedCustomObject({ ...W, namespace: ns, name: "i1" });
    server.faults.holdWatches(false);
    await eventually(() => names() === "i10,i2,i3,i4,i5,i6,i7,i8,i9", 20_000, "informer caught up after 410");
    expect(lists).toBe(2);
    expect(errors).toEqual([]);
    await informer.stop();
  });
});

describe("fault injection", () => {
  it("fails the next N requests with 429 (Retry-After) or 500, then recovers; adds latency", async () => {
    server.faults.failNext(2, 429, 3);
    const first = await apiError(core.listNamespace());
    expect(first.code).toBe(429);
    expect(first.body).toMatchObject({ reason: "TooManyRequests", details: { retryAfterSeconds: 3 } });
    expect((await apiError(core.listNamespace())).code).toBe(429);
    expect((await core.listNamespace()).items.length).toBeGreaterThan(0);

    server.faults.failNext(1, 500);
    expect((await apiError(core.listNamespace())).body).toMatchObject({ reason: "InternalError", code: 500 });

    server.faults.setLatency(300);
    const started = Date.now();
    await core.listNamespace();
    expect(Date.now() - started).toBeGreaterThanOrEqual(290);
    server.faults.setLatency(0);
  });
});
