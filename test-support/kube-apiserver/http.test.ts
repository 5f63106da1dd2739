/**
 * Raw HTTP behaviour of the API test server: discovery, OpenAPI, Table output, Status bodies and field
 * validation modes (watch and lifecycle details are in lifecycle.test.ts).
 */
import { describe, expect, it } from "vitest";
import { readWatch, request, WIDGETS, widget } from "./fixtures/helpers.js";
import { rawHttpServer } from "./fixtures/raw-http-server.js";

const server = rawHttpServer("h");
const { clock, freshNamespace } = server;
const TABLE = "application/json;as=Table;v=v1;g=meta.k8s.io,application/json";

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
    const events = await readWatch(
      server.url,
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

describe("Table output for built-in kinds", () => {
  it("computes ConfigMap data counts and Event ages", async () => {
    const ns = await freshNamespace();
    await request(server.url, "POST", `/api/v1/namespaces/${ns}/configmaps`, {
      metadata: { name: "cm" },
      data: { a: "1", b: "2" },
    });
    const lastSeen = new Date(clock.now().getTime() - 90_000).toISOString();
    await request(server.url, "POST", `/api/v1/namespaces/${ns}/events`, {
      metadata: { name: "e" },
      involvedObject: { kind: "Widget", name: "w1", namespace: ns },
      reason: "Started",
      message: "it started",
      type: "Normal",
      lastTimestamp: lastSeen,
    });
    const cms = (
      await request(server.url, "GET", `/api/v1/namespaces/${ns}/configmaps`, undefined, { Accept: TABLE })
    ).body;
    expect(cms.columnDefinitions.map((c: { name: string }) => c.name)).toEqual(["Name", "Data", "Age"]);
    expect(cms.rows[0].cells.slice(0, 2)).toEqual(["cm", 2]);
    const events = (
      await request(server.url, "GET", `/api/v1/namespaces/${ns}/events`, undefined, { Accept: TABLE })
    ).body;
    expect(events.rows[0].cells).toEqual(["e", "90s", "Normal", "Started", "widget/w1", "it started"]);
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
    const protobuf = await request(server.url, "POST", `/api/v1/namespaces/${ns}/configmaps`, "\u0000k8s", {
      "Content-Type": "application/vnd.kubernetes.protobuf",
    });
    // Protobuf is accepted (kubectl create sends it), but only with kube's "k8s\0" envelope.
    expect(protobuf.body).toMatchObject({ code: 400, reason: "BadRequest" });
    expect(protobuf.body.message).toContain("magic prefix");
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

  it("refuses a resourceVersion on create and a foreign uid on update, like kube-apiserver", async () => {
    const ns = await freshNamespace();
    const created = await request(server.url, "POST", `${WIDGETS}/namespaces/${ns}/widgets`, widget("rv"));
    const recreate = await request(server.url, "POST", `${WIDGETS}/namespaces/${ns}/widgets`, {
      ...created.body,
      metadata: { ...created.body.metadata, name: "rv2" },
    });
    expect(recreate.body).toMatchObject({
      code: 500,
      message: "resourceVersion should not be set on objects to be created",
    });
    const foreign = await request(server.url, "PUT", `${WIDGETS}/namespaces/${ns}/widgets/rv`, {
      ...created.body,
      metadata: { ...created.body.metadata, uid: "00000000-0000-0000-0000-000000000000" },
    });
    expect(foreign.body).toMatchObject({ code: 409, reason: "Conflict" });
    expect(foreign.body.message).toContain(
      "Precondition failed: UID in precondition: 00000000-0000-0000-0000-000000000000",
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
