/**
 * @kubernetes/client-node against the API test server: CRUD, conflicts, status subresource, finalizers,
 * selectors and paging, core kinds. Watch, informer and fault tests are in client-node-watch.test.ts.
 */
import { CoordinationV1Api, type CoreV1Api, type CustomObjectsApi } from "@kubernetes/client-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { apiError, clientsFor, jsonPatchOptions, mergePatchOptions, W } from "./fixtures/client-node.js";
import { FIXTURES_DIR, widget } from "./fixtures/helpers.js";
import { type KubeApiServer, startKubeApiServer } from "./index.js";
import type { KubeObject } from "./types.js";

let server: KubeApiServer;
let custom: CustomObjectsApi;
let core: CoreV1Api;
let freshNamespace: () => Promise<string>;
let create: (namespace: string, obj: KubeObject) => Promise<KubeObject>;
const merge = mergePatchOptions;
const jsonPatch = jsonPatchOptions;

beforeAll(async () => {
  server = await startKubeApiServer({ crdDirs: [FIXTURES_DIR], watchHistorySize: 5 });
  ({ custom, core, freshNamespace, create } = clientsFor(server));
});
afterAll(async () => {
  await server?.stop();
});

describe("CRUD with client-node", () => {
  it("creates with server-set metadata, rejects duplicates and missing namespaces", async () => {
    const ns = await freshNamespace();
    const created = await create(ns, widget("a", {}, { status: { phase: "ignored on create" } }));
    expect(created.metadata.uid).toMatch(/^[0-9a-f-]{36}$/);
    expect(created.metadata.creationTimestamp).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/);
    expect(created.metadata.generation).toBe(1);
    expect(created.status).toBeUndefined();
    expect((created.spec as { mode: string }).mode).toBe("auto");

    const dup = await apiError(create(ns, widget("a")));
    expect(dup.code).toBe(409);
    expect(dup.body).toMatchObject({
      kind: "Status",
      reason: "AlreadyExists",
      message: 'widgets.test.coditect.ai "a" already exists',
    });

    const missing = await apiError(create("no-such-ns", widget("b")));
    expect(missing.code).toBe(404);
    expect(missing.body).toMatchObject({ reason: "NotFound", message: 'namespaces "no-such-ns" not found' });
  });

  it("generates names from generateName", async () => {
    const ns = await freshNamespace();
    const obj = widget("");
    obj.metadata = { generateName: "gen-" };
    const created = await create(ns, obj);
    expect(created.metadata.name).toMatch(/^gen-[bcdfghjklmnpqrstvwxz2456789]{5}$/);
  });

  it("answers 422 Invalid with kube's message for schema violations", async () => {
    const ns = await freshNamespace();
    const bad = await apiError(create(ns, widget("bad", { tier: "x" })));
    expect(bad.code).toBe(422);
    expect(bad.body).toMatchObject({
      reason: "Invalid",
      message:
        'Widget.test.coditect.ai "bad" is invalid: spec.tier: Unsupported value: "x": supported values: "starter", "pro", "enterprise"',
      details: {
        name: "bad",
        group: "test.coditect.ai",
        kind: "Widget",
        causes: [{ reason: "FieldValueNotSupported", field: "spec.tier" }],
      },
    });
  });

  it("updates with optimistic concurrency and bumps generation only on spec changes", async () => {
    const ns = await freshNamespace();
    const created = await create(ns, widget("c", { count: 1 }));
    const rv1 = Number(created.metadata.resourceVersion);

    const labelled = (await custom.patchNamespacedCustomObject(
      { ...W, namespace: ns, name: "c", body: { metadata: { labels: { team: "a" } } } },
      merge,
    )) as KubeObject;
    expect(labelled.metadata.generation).toBe(1);
    expect(Number(labelled.metadata.resourceVersion)).toBeGreaterThan(rv1);

    const replaced = (await custom.replaceNamespacedCustomObject({
      ...W,
      namespace: ns,
      name: "c",
      body: { ...labelled, spec: { ...(labelled.spec as object), count: 2 } },
    })) as KubeObject;
    expect(replaced.metadata.generation).toBe(2);

    const stale = await apiError(
      custom.replaceNamespacedCustomObject({
        ...W,
        namespace: ns,
        name: "c",
        body: { ...labelled, spec: { ...(labelled.spec as object), count: 3 } },
      }),
    );
    expect(stale.code).toBe(409);
    expect(stale.body).toMatchObject({
      reason: "Conflict",
      message:
        'Operation cannot be fulfilled on widgets.test.coditect.ai "c": the object has been modified; please apply your changes to the latest version and try again',
    });

    const immutable = await create(ns, widget("d", { serial: "AB-1234" }));
    const changed = await apiError(
      custom.patchNamespacedCustomObject(
        { ...W, namespace: ns, name: "d", body: { spec: { serial: "AB-0000" } } },
        merge,
      ),
    );
    expect(changed.code).toBe(422);
    expect(changed.body.message).toBe(
      'Widget.test.coditect.ai "d" is invalid: spec.serial: Invalid value: "string": serial is immutable',
    );
    expect(immutable.metadata.name).toBe("d");
  });

  it("applies JSON patches, including a failing test operation", async () => {
    const ns = await freshNamespace();
    await create(ns, widget("j", { count: 1 }));
    const patched = (await custom.patchNamespacedCustomObject(
      {
        ...W,
        namespace: ns,
        name: "j",
        body: [
          { op: "replace", path: "/spec/count", value: 4 },
          { op: "add", path: "/spec/tags", value: ["x"] },
        ],
      },
      jsonPatch,
    )) as KubeObject;
    expect(patched.spec).toMatchObject({ count: 4, tags: ["x"] });
    const failed = await apiError(
      custom.patchNamespacedCustomObject(
        { ...W, namespace: ns, name: "j", body: [{ op: "test", path: "/spec/count", value: 9 }] },
        jsonPatch,
      ),
    );
    expect(failed.code).toBe(422);
  });

  it("splits main resource and status subresource writes", async () => {
    const ns = await freshNamespace();
    const created = await create(ns, widget("s"));
    const withStatus = (await custom.patchNamespacedCustomObjectStatus(
      { ...W, namespace: ns, name: "s", body: { status: { phase: "Ready" }, spec: { tier: "starter" } } },
      merge,
    )) as KubeObject;
    expect(withStatus.status).toEqual({ phase: "Ready" });
    expect((withStatus.spec as { tier: string }).tier).toBe("pro");
    expect(withStatus.metadata.generation).toBe(created.metadata.generation);

    const mainWrite = (await custom.patchNamespacedCustomObject(
      { ...W, namespace: ns, name: "s", body: { status: { phase: "Hacked" }, spec: { count: 5 } } },
      merge,
    )) as KubeObject;
    expect(mainWrite.status).toEqual({ phase: "Ready" });
    expect(mainWrite.metadata.generation).toBe(2);
  });

  it("blocks deletion on finalizers, refuses new finalizers while deleting, then removes the object", async () => {
    const ns = await freshNamespace();
    await create(ns, { ...widget("f"), metadata: { name: "f", finalizers: ["test.coditect.ai/cleanup"] } });
    const marked = (await custom.deleteNamespacedCustomObject({
      ...W,
      namespace: ns,
      name: "f",
    })) as KubeObject;
    expect(marked.metadata.deletionTimestamp).toBeDefined();
    const still = (await custom.getNamespacedCustomObject({ ...W, namespace: ns, name: "f" })) as KubeObject;
    expect(still.metadata.deletionTimestamp).toBe(marked.metadata.deletionTimestamp);

    const adding = await apiError(
      custom.patchNamespacedCustomObject(
        {
          ...W,
          namespace: ns,
          name: "f",
          body: { metadata: { finalizers: ["test.coditect.ai/cleanup", "other/x"] } },
        },
        merge,
      ),
    );
    expect(adding.code).toBe(422);
    expect(adding.body.message).toContain("no new finalizers can be added if the object is being deleted");

    await custom.patchNamespacedCustomObject(
      { ...W, namespace: ns, name: "f", body: { metadata: { finalizers: null } } },
      merge,
    );
    const gone = await apiError(custom.getNamespacedCustomObject({ ...W, namespace: ns, name: "f" }));
    expect(gone.code).toBe(404);
  });

  it("lists with set-based label selectors, field selectors and limit/continue", async () => {
    const ns = await freshNamespace();
    for (const [name, env] of [
      ["l1", "prod"],
      ["l2", "dev"],
      ["l3", "prod"],
      ["l4", "test"],
    ] as const) {
      await create(ns, { ...widget(name), metadata: { name, labels: { env } } });
    }
    const names = (list: unknown) => (list as { items: KubeObject[] }).items.map((i) => i.metadata.name);
    expect(
      names(
        await custom.listNamespacedCustomObject({ ...W, namespace: ns, labelSelector: "env in (prod,test)" }),
      ),
    ).toEqual(["l1", "l3", "l4"]);
    expect(
      names(
        await custom.listNamespacedCustomObject({
          ...W,
          namespace: ns,
          labelSelector: "env notin (prod),env",
        }),
      ),
    ).toEqual(["l2", "l4"]);
    expect(
      names(
        await custom.listNamespacedCustomObject({ ...W, namespace: ns, fieldSelector: "metadata.name=l2" }),
      ),
    ).toEqual(["l2"]);

    const page1 = (await custom.listNamespacedCustomObject({ ...W, namespace: ns, limit: 3 })) as {
      items: KubeObject[];
      metadata: { continue?: string; remainingItemCount?: number };
    };
    expect(names(page1)).toEqual(["l1", "l2", "l3"]);
    expect(page1.metadata.remainingItemCount).toBe(1);
    const page2 = await custom.listNamespacedCustomObject({
      ...W,
      namespace: ns,
      limit: 3,
      _continue: page1.metadata.continue!,
    });
    expect(names(page2)).toEqual(["l4"]);

    await custom.deleteCollectionNamespacedCustomObject({ ...W, namespace: ns, labelSelector: "env=prod" });
    expect(names(await custom.listNamespacedCustomObject({ ...W, namespace: ns }))).toEqual(["l2", "l4"]);
  });

  it("serves core kinds: secrets (stringData), configmaps, events by involvedObject, leases", async () => {
    const ns = await freshNamespace();
    const secret = await core.createNamespacedSecret({
      namespace: ns,
      body: { metadata: { name: "s" }, stringData: { key: "value" } },
    });
    expect(secret.data).toEqual({ key: Buffer.from("value").toString("base64") });
    expect(secret.type).toBe("Opaque");
    await core.createNamespacedConfigMap({
      namespace: ns,
      body: { metadata: { name: "cm" }, data: { a: "1" } },
    });
    expect((await core.readNamespacedConfigMap({ namespace: ns, name: "cm" })).data).toEqual({ a: "1" });
    await core.createNamespacedEvent({
      namespace: ns,
      body: {
        metadata: { name: "e1" },
        involvedObject: { kind: "Widget", name: "x", namespace: ns, uid: "u1" },
        reason: "Made",
        message: "m",
        type: "Normal",
      },
    });
    await core.createNamespacedEvent({
      namespace: ns,
      body: {
        metadata: { name: "e2" },
        involvedObject: { kind: "Widget", name: "y", namespace: ns, uid: "u2" },
        reason: "Made",
        message: "m",
        type: "Normal",
      },
    });
    const events = await core.listNamespacedEvent({
      namespace: ns,
      fieldSelector: "involvedObject.name=x,involvedObject.kind=Widget",
    });
    expect(events.items.map((e) => e.metadata?.name)).toEqual(["e1"]);
    const leases = server.kubeConfig().makeApiClient(CoordinationV1Api);
    const lease = await leases.createNamespacedLease({
      namespace: ns,
      body: { metadata: { name: "leader" }, spec: { holderIdentity: "a", leaseDurationSeconds: 15 } },
    });
    const stale = await apiError(
      leases.replaceNamespacedLease({
        namespace: ns,
        name: "leader",
        body: {
          ...lease,
          metadata: { ...lease.metadata, resourceVersion: "1" },
          spec: { holderIdentity: "b" },
        },
      }),
    );
    expect(stale.code).toBe(409);
  });
});
