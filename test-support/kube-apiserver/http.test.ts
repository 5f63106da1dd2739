/**
 * Raw HTTP behaviour of the API test server: discovery, OpenAPI, Table output, Status bodies, field
 * validation modes, watch details (410, selector translation, bookmarks, timeouts), namespace termination
 * and CRD lifecycle.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ManualClock } from "../../lib/clock.js";
import { eventually, FIXTURES_DIR, request, WIDGETS, widget, widgetCrd } from "./fixtures/helpers.js";
import { type KubeApiServer, startKubeApiServer } from "./index.js";

let server: KubeApiServer;
const clock = new ManualClock("2026-03-01T12:00:00Z");
let nsCounter = 0;
const TABLE = "application/json;as=Table;v=v1;g=meta.k8s.io,application/json";

beforeAll(async () => {
  server = await startKubeApiServer({
    crdDirs: [FIXTURES_DIR],
    watchHistorySize: 3,
    clock,
    bookmarkIntervalMs: 100,
  });
});
afterAll(async () => {
  await server?.stop();
});

async function freshNamespace(): Promise<string> {
  nsCounter += 1;
  const name = `h${nsCounter}`;
  const res = await request(server.url, "POST", "/api/v1/namespaces", { metadata: { name } });
  expect(res.status).toBe(201);
  return name;
}

/** Reads a watch stream until `count` events arrived or the server ended it. */
async function watchEvents(
  path: string,
  count: number,
  headers: Record<string, string> = {},
  after?: () => Promise<void>,
) {
  const controller = new AbortController();
  const res = await fetch(`${server.url}${path}`, { headers, signal: controller.signal });
  expect(res.status).toBe(200);
  const reader = res.body!.getReader();
  // biome-ignore lint/suspicious/noExplicitAny: watch events are arbitrary JSON.
  const events: any[] = [];
  let buffer = "";
  const pending = after?.();
  while (events.length < count) {
    const { value, done } = await reader.read();
    if (done) break;
    buffer += Buffer.from(value).toString("utf8");
    let nl = buffer.indexOf("\n");
    while (nl >= 0) {
      events.push(JSON.parse(buffer.slice(0, nl)));
      buffer = buffer.slice(nl + 1);
      nl = buffer.indexOf("\n");
    }
  }
  await pending;
  controller.abort();
  return events;
}

describe("discovery and OpenAPI", () => {
  it("serves version, core and group discovery including CRD resources", async () => {
    expect((await request(server.url, "GET", "/version")).body).toMatchObject({ major: "1", minor: "32" });
    expect((await request(server.url, "GET", "/api")).body).toMatchObject({
      kind: "APIVersions",
      versions: ["v1"],
    });
    const core = (await request(server.url, "GET", "/api/v1")).body;
    expect(core.resources.map((r: { name: string }) => r.name)).toEqual(
      expect.arrayContaining(["namespaces", "namespaces/status", "configmaps", "secrets", "events"]),
    );
    const groups = (await request(server.url, "GET", "/apis")).body;
    expect(groups.groups.map((g: { name: string }) => g.name)).toEqual(
      expect.arrayContaining(["apiextensions.k8s.io", "coordination.k8s.io", "test.coditect.ai"]),
    );
    const widgets = (await request(server.url, "GET", WIDGETS)).body;
    expect(widgets.resources).toEqual([
      expect.objectContaining({
        name: "widgets",
        kind: "Widget",
        namespaced: true,
        shortNames: ["wd"],
        categories: ["testing"],
      }),
      expect.objectContaining({ name: "widgets/status", verbs: ["get", "patch", "update"] }),
    ]);
    expect((await request(server.url, "GET", "/apis/nope.example.com/v1")).status).toBe(404);
  });

  it("serves OpenAPI v3 per group-version with fieldValidation on PATCH, and v2", async () => {
    const root = (await request(server.url, "GET", "/openapi/v3")).body;
    const url = root.paths["apis/test.coditect.ai/v1"].serverRelativeURL as string;
    expect(url).toMatch(/^\/openapi\/v3\/apis\/test\.coditect\.ai\/v1\?hash=[0-9A-F]+$/);
    const doc = (await request(server.url, "GET", url)).body;
    const patch = doc.paths["/apis/test.coditect.ai/v1/namespaces/{namespace}/widgets/{name}"].patch;
    expect(patch["x-kubernetes-group-version-kind"]).toEqual({
      group: "test.coditect.ai",
      version: "v1",
      kind: "Widget",
    });
    expect(patch.parameters.map((p: { name: string }) => p.name)).toContain("fieldValidation");
    expect(doc.components.schemas["ai.coditect.test.v1.Widget"].properties.spec.required).toEqual([
      "tier",
      "owner",
    ]);
    const v2 = (await request(server.url, "GET", "/openapi/v2")).body;
    expect(v2.swagger).toBe("2.0");
  });
});

describe("Table output", () => {
  it("renders printer columns for get and list with kube's Age formatting", async () => {
    const ns = await freshNamespace();
    await request(server.url, "POST", `${WIDGETS}/namespaces/${ns}/widgets`, widget("t1", { count: 2 }));
    await request(
      server.url,
      "PATCH",
      `${WIDGETS}/namespaces/${ns}/widgets/t1/status`,
      { status: { conditions: [{ type: "Ready", status: "True" }] } },
      { "Content-Type": "application/merge-patch+json" },
    );
    clock.advance(185_000);
    const list = (
      await request(server.url, "GET", `${WIDGETS}/namespaces/${ns}/widgets`, undefined, { Accept: TABLE })
    ).body;
    expect(list.kind).toBe("Table");
    expect(list.columnDefinitions.map((c: { name: string }) => c.name)).toEqual([
      "Name",
      "Tier",
      "Ready",
      "Count",
      "Owner",
      "Age",
    ]);
    expect(list.columnDefinitions[4].priority).toBe(1);
    expect(list.rows[0].cells).toEqual(["t1", "pro", "True", 2, "ops@example.com", "3m5s"]);
    expect(list.rows[0].object).toMatchObject({ kind: "PartialObjectMetadata", metadata: { name: "t1" } });
    const one = (
      await request(
        server.url,
        "GET",
        `${WIDGETS}/namespaces/${ns}/widgets/t1?includeObject=Object`,
        undefined,
        { Accept: TABLE },
      )
    ).body;
    expect(one.rows[0].object.spec.count).toBe(2);
  });

  it("sends Table-shaped watch events, column definitions only first", async () => {
    const ns = await freshNamespace();
    await request(server.url, "POST", `${WIDGETS}/namespaces/${ns}/widgets`, widget("tw"));
    const events = await watchEvents(
      `${WIDGETS}/namespaces/${ns}/widgets?watch=true`,
      2,
      { Accept: TABLE },
      async () => {
        await request(
          server.url,
          "PATCH",
          `${WIDGETS}/namespaces/${ns}/widgets/tw`,
          { spec: { tier: "enterprise" } },
          { "Content-Type": "application/merge-patch+json" },
        );
      },
    );
    expect(events.map((e) => e.type)).toEqual(["ADDED", "MODIFIED"]);
    expect(events[0].object.columnDefinitions).toHaveLength(6);
    expect(events[1].object.columnDefinitions).toBeUndefined();
    expect(events[1].object.rows[0].cells[1]).toBe("enterprise");
  });
});

describe("errors and field validation", () => {
  it("answers unknown paths, bad selectors and unsupported patch types with Status bodies", async () => {
    const notFound = await request(server.url, "GET", "/apis/test.coditect.ai/v1/gadgets");
    expect(notFound.status).toBe(404);
    expect(notFound.body).toMatchObject({
      kind: "Status",
      apiVersion: "v1",
      status: "Failure",
      reason: "NotFound",
      code: 404,
    });
    const badSelector = await request(server.url, "GET", `${WIDGETS}/widgets?fieldSelector=spec.tier%3Dpro`);
    expect(badSelector.body).toMatchObject({
      code: 400,
      reason: "BadRequest",
      message: "field label not supported: spec.tier",
    });
    const ns = await freshNamespace();
    await request(server.url, "POST", `${WIDGETS}/namespaces/${ns}/widgets`, widget("p"));
    const smp = await request(
      server.url,
      "PATCH",
      `${WIDGETS}/namespaces/${ns}/widgets/p`,
      { spec: {} },
      { "Content-Type": "application/strategic-merge-patch+json" },
    );
    expect(smp.body).toMatchObject({ code: 415, reason: "UnsupportedMediaType" });
    const badName = await request(
      server.url,
      "POST",
      `${WIDGETS}/namespaces/${ns}/widgets`,
      widget("Bad_Name"),
    );
    expect(badName.status).toBe(422);
    expect(badName.body.message).toContain(
      'metadata.name: Invalid value: "Bad_Name": a lowercase RFC 1123 subdomain',
    );
  });

  it("prunes unknown fields with a warning by default and rejects them with fieldValidation=Strict", async () => {
    const ns = await freshNamespace();
    const warned = await request(
      server.url,
      "POST",
      `${WIDGETS}/namespaces/${ns}/widgets`,
      widget("u1", { bogus: true }),
    );
    expect(warned.status).toBe(201);
    expect(warned.body.spec.bogus).toBeUndefined();
    expect(warned.headers.get("warning")).toBe('299 - "unknown field \\"spec.bogus\\""');
    const strict = await request(
      server.url,
      "POST",
      `${WIDGETS}/namespaces/${ns}/widgets?fieldValidation=Strict`,
      widget("u2", { bogus: true }),
    );
    expect(strict.body).toMatchObject({
      code: 400,
      message:
        'Widget in version "v1" cannot be handled as a Widget: strict decoding error: unknown field "spec.bogus"',
    });
    expect((await request(server.url, "GET", `${WIDGETS}/namespaces/${ns}/widgets/u2`)).status).toBe(404);
  });

  it("honours dryRun, delete preconditions and server-side apply", async () => {
    const ns = await freshNamespace();
    const dry = await request(
      server.url,
      "POST",
      `${WIDGETS}/namespaces/${ns}/widgets?dryRun=All`,
      widget("d1"),
    );
    expect(dry.status).toBe(201);
    expect((await request(server.url, "GET", `${WIDGETS}/namespaces/${ns}/widgets/d1`)).status).toBe(404);

    const applied = await request(
      server.url,
      "PATCH",
      `${WIDGETS}/namespaces/${ns}/widgets/a1?fieldManager=test`,
      "apiVersion: test.coditect.ai/v1\nkind: Widget\nmetadata:\n  name: a1\nspec:\n  tier: starter\n  owner: a@b.co\n",
      { "Content-Type": "application/apply-patch+yaml" },
    );
    expect(applied.status).toBe(201);
    const reapplied = await request(
      server.url,
      "PATCH",
      `${WIDGETS}/namespaces/${ns}/widgets/a1?fieldManager=test`,
      "apiVersion: test.coditect.ai/v1\nkind: Widget\nmetadata:\n  name: a1\nspec:\n  tier: pro\n",
      { "Content-Type": "application/apply-patch+yaml" },
    );
    expect(reapplied.body.spec).toMatchObject({ tier: "pro", owner: "a@b.co" });
    const noManager = await request(
      server.url,
      "PATCH",
      `${WIDGETS}/namespaces/${ns}/widgets/a1`,
      "spec: {}",
      { "Content-Type": "application/apply-patch+yaml" },
    );
    expect(noManager.body).toMatchObject({ code: 400, message: "PATCH /apply requires fieldManager" });

    const precondition = await request(server.url, "DELETE", `${WIDGETS}/namespaces/${ns}/widgets/a1`, {
      preconditions: { resourceVersion: "1" },
    });
    expect(precondition.body).toMatchObject({ code: 409, reason: "Conflict" });
    expect(precondition.body.message).toContain("Precondition failed: ResourceVersion in precondition: 1");
  });
});

describe("watch details", () => {
  it("answers a too-old resourceVersion with an ERROR event carrying 410 Expired", async () => {
    const ns = await freshNamespace();
    const start = (await request(server.url, "GET", `${WIDGETS}/namespaces/${ns}/widgets`)).body.metadata
      .resourceVersion;
    for (let i = 0; i < 5; i++)
      await request(server.url, "POST", `${WIDGETS}/namespaces/${ns}/widgets`, widget(`g${i}`));
    const events = await watchEvents(
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
    const events = await watchEvents(
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
    const events = await watchEvents(
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
    expect(
      (
        await request(
          server.url,
          "DELETE",
          "/apis/apiextensions.k8s.io/v1/customresourcedefinitions/gizmos.test.coditect.ai",
        )
      ).status,
    ).toBe(200);
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
