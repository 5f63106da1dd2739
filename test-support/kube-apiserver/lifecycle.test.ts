/**
 * Raw HTTP behaviour of the API test server: watch details (410, selector translation, bookmarks,
 * timeouts), namespace termination and CRD lifecycle.
 */
import { describe, expect, it } from "vitest";
import { eventually, readWatch, request, WIDGETS, widget, widgetCrd } from "./fixtures/helpers.js";
import { rawHttpServer } from "./fixtures/raw-http-server.js";

const server = rawHttpServer("l");
const { freshNamespace } = server;

describe("watch details", () => {
  it("answers a too-old resourceVersion with an ERROR event carrying 410 Expired", async () => {
    const ns = await freshNamespace();
    const start = (await request(server.url, "GET", `${WIDGETS}/namespaces/${ns}/widgets`)).body.metadata
      .resourceVersion;
    for (let i = 0; i < 5; i++)
      await request(server.url, "POST", `${WIDGETS}/namespaces/${ns}/widgets`, widget(`g${i}`));
    const events = await readWatch(
      server.url,
      `${WIDGETS}/namespaces/${ns}/widgets?watch=true&resourceVersion=${start}`,
      1,
    );
    expect(events[0]).toMatchObject({
      type: "ERROR",
      object: { kind: "Status", code: 410, reason: "Expired" },
    });
    expect(events[0].object.message).toMatch(/^too old resource version: \d+ \(\d+\)$/);
  });

  it("translates updates that enter or leave a label selector into ADDED / DELETED", async () => {
    const ns = await freshNamespace();
    await request(server.url, "POST", `${WIDGETS}/namespaces/${ns}/widgets`, {
      ...widget("sel"),
      metadata: { name: "sel", labels: { env: "dev" } },
    });
    const rv = (await request(server.url, "GET", `${WIDGETS}/namespaces/${ns}/widgets`)).body.metadata
      .resourceVersion;
    const mergeHeader = { "Content-Type": "application/merge-patch+json" };
    const events = await readWatch(
      server.url,
      `${WIDGETS}/namespaces/${ns}/widgets?watch=true&labelSelector=env%3Dprod&resourceVersion=${rv}`,
      3,
      {},
      async () => {
        await request(
          server.url,
          "PATCH",
          `${WIDGETS}/namespaces/${ns}/widgets/sel`,
          { metadata: { labels: { env: "prod" } } },
          mergeHeader,
        );
        await request(
          server.url,
          "PATCH",
          `${WIDGETS}/namespaces/${ns}/widgets/sel`,
          { spec: { count: 3 } },
          mergeHeader,
        );
        await request(
          server.url,
          "PATCH",
          `${WIDGETS}/namespaces/${ns}/widgets/sel`,
          { metadata: { labels: { env: "dev" } } },
          mergeHeader,
        );
      },
    );
    expect(events.map((e) => e.type)).toEqual(["ADDED", "MODIFIED", "DELETED"]);
  });

  it("sends bookmarks when allowed and ends the stream after timeoutSeconds", async () => {
    const ns = await freshNamespace();
    const events = await readWatch(
      server.url,
      `${WIDGETS}/namespaces/${ns}/widgets?watch=true&allowWatchBookmarks=true&timeoutSeconds=1`,
      1000,
    );
    expect(events.length).toBeGreaterThan(0);
    expect(events.every((e) => e.type === "BOOKMARK")).toBe(true);
    expect(events[0].object).toMatchObject({
      kind: "Widget",
      apiVersion: "test.coditect.ai/v1",
      metadata: { resourceVersion: expect.stringMatching(/^\d+$/) },
    });
  });
});

describe("namespaces and CRD lifecycle", () => {
  it("terminates a namespace: refuses new content, waits for finalizers, then disappears", async () => {
    const ns = await freshNamespace();
    await request(server.url, "POST", `${WIDGETS}/namespaces/${ns}/widgets`, {
      ...widget("held"),
      metadata: { name: "held", finalizers: ["x/y"] },
    });
    await request(server.url, "POST", `/api/v1/namespaces/${ns}/configmaps`, { metadata: { name: "cm" } });
    const deleting = await request(server.url, "DELETE", `/api/v1/namespaces/${ns}`);
    expect(deleting.body.status.phase).toBe("Terminating");
    expect((await request(server.url, "GET", `/api/v1/namespaces/${ns}/configmaps/cm`)).status).toBe(404);
    const refused = await request(server.url, "POST", `/api/v1/namespaces/${ns}/configmaps`, {
      metadata: { name: "new" },
    });
    expect(refused.body).toMatchObject({ code: 403, reason: "Forbidden" });
    expect(refused.body.message).toContain(`because it is being terminated`);
    const held = (await request(server.url, "GET", `${WIDGETS}/namespaces/${ns}/widgets/held`)).body;
    expect(held.metadata.deletionTimestamp).toBeDefined();
    await request(
      server.url,
      "PATCH",
      `${WIDGETS}/namespaces/${ns}/widgets/held`,
      { metadata: { finalizers: null } },
      { "Content-Type": "application/merge-patch+json" },
    );
    await eventually(
      async () => (await request(server.url, "GET", `/api/v1/namespaces/${ns}`)).status === 404,
      5000,
      "namespace removed",
    );
  });

  it("registers a CRD on create (Established) and stops serving its kind on delete", async () => {
    const crd = widgetCrd();
    crd.metadata.name = "gizmos.test.coditect.ai";
    const spec = crd.spec as { names: Record<string, unknown> };
    spec.names = { plural: "gizmos", singular: "gizmo", kind: "Gizmo" };
    const created = await request(
      server.url,
      "POST",
      "/apis/apiextensions.k8s.io/v1/customresourcedefinitions",
      crd,
    );
    expect(created.status).toBe(201);
    expect(
      created.body.status.conditions.map((c: { type: string; status: string }) => `${c.type}=${c.status}`),
    ).toEqual(["NamesAccepted=True", "Established=True"]);
    const ns = await freshNamespace();
    const gizmo = { ...widget("g1"), kind: "Gizmo" };
    expect((await request(server.url, "POST", `${WIDGETS}/namespaces/${ns}/gizmos`, gizmo)).status).toBe(201);
    // A watch on the kind ends when its CRD is deleted (the server stops serving the resource).
    const events = await readWatch(
      server.url,
      `${WIDGETS}/namespaces/${ns}/gizmos?watch=true`,
      100,
      {},
      async () => {
        const deleted = await request(
          server.url,
          "DELETE",
          "/apis/apiextensions.k8s.io/v1/customresourcedefinitions/gizmos.test.coditect.ai",
        );
        expect(deleted.status).toBe(200);
      },
    );
    expect(events.map((e) => `${e.type} ${e.object.metadata.name}`)).toEqual(["ADDED g1"]);
    expect((await request(server.url, "GET", `${WIDGETS}/namespaces/${ns}/gizmos`)).status).toBe(404);

    const invalidCrd = { ...crd, metadata: { name: "wrong.test.coditect.ai" } };
    const rejected = await request(
      server.url,
      "POST",
      "/apis/apiextensions.k8s.io/v1/customresourcedefinitions",
      invalidCrd,
    );
    expect(rejected.status).toBe(422);
    expect(rejected.body.message).toContain(
      'metadata.name: Invalid value: "wrong.test.coditect.ai": must be spec.names.plural+"."+spec.group',
    );
  });
});

describe("garbage collection through ownerReferences", () => {
  const ownedBy = (...owners: { name: string; uid: string }[]) =>
    owners.map((o) => ({ apiVersion: "v1", kind: "ConfigMap", name: o.name, uid: o.uid }));

  async function configMap(ns: string, name: string): Promise<{ name: string; uid: string }> {
    const res = await request(server.url, "POST", `/api/v1/namespaces/${ns}/configmaps`, {
      metadata: { name },
    });
    return { name, uid: res.body.metadata.uid };
  }

  it("deletes dependents whose owners are all gone and drops dangling references from the others", async () => {
    const ns = await freshNamespace();
    const owner = await configMap(ns, "owner");
    const other = await configMap(ns, "other");
    const post = (name: string, metadata: Record<string, unknown>) =>
      request(server.url, "POST", `${WIDGETS}/namespaces/${ns}/widgets`, {
        ...widget(name),
        metadata: { name, ...metadata },
      });
    await post("only-owner", { ownerReferences: ownedBy(owner) });
    await post("two-owners", { ownerReferences: ownedBy(owner, other) });
    await post("finalized", { ownerReferences: ownedBy(owner), finalizers: ["x/y"] });
    await post("unowned", {});

    expect((await request(server.url, "DELETE", `/api/v1/namespaces/${ns}/configmaps/owner`)).status).toBe(
      200,
    );
    const get = (name: string) => request(server.url, "GET", `${WIDGETS}/namespaces/${ns}/widgets/${name}`);
    expect((await get("only-owner")).status).toBe(404);
    expect((await get("two-owners")).body.metadata.ownerReferences).toEqual(ownedBy(other));
    expect((await get("finalized")).body.metadata.deletionTimestamp).toBeDefined();
    expect((await get("unowned")).status).toBe(200);
  });

  it("orphans dependents with propagationPolicy=Orphan and rejects unknown policies", async () => {
    const ns = await freshNamespace();
    const owner = await configMap(ns, "owner");
    await request(server.url, "POST", `${WIDGETS}/namespaces/${ns}/widgets`, {
      ...widget("kept"),
      metadata: { name: "kept", ownerReferences: ownedBy(owner) },
    });
    const bad = await request(server.url, "DELETE", `/api/v1/namespaces/${ns}/configmaps/owner`, {
      propagationPolicy: "Sometimes",
    });
    expect(bad.body).toMatchObject({ code: 400, reason: "BadRequest" });
    await request(server.url, "DELETE", `/api/v1/namespaces/${ns}/configmaps/owner`, {
      propagationPolicy: "Orphan",
    });
    const kept = await request(server.url, "GET", `${WIDGETS}/namespaces/${ns}/widgets/kept`);
    expect(kept.status).toBe(200);
    expect(kept.body.metadata.ownerReferences).toBeUndefined();
  });
});
