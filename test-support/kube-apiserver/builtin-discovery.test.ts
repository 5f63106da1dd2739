/**
 * Built-in discovery entries: the product's CRDs never reuse a built-in's name, the served built-ins
 * advertise the same names as the table, and discovery-only kinds behave like an empty cluster's
 * (empty lists) while refusing writes with 405. Real kubectl's name resolution is in kubectl.test.ts.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadCrds } from "../../crds/load.js";
import { builtinResourceTypes } from "./builtin.js";
import { authResourceTypes } from "./builtin-auth.js";
import { BUILTIN_RESOURCES, builtinNameCollisions } from "./builtin-discovery.js";
import { crdResourceType } from "./crd.js";
import { request } from "./fixtures/helpers.js";
import { type KubeApiServer, startKubeApiServer } from "./index.js";

describe("built-in names", () => {
  it("no CRD in crds/ has a plural, singular or short name of a built-in", () => {
    const crds = loadCrds();
    expect(crds.length).toBeGreaterThanOrEqual(3);
    expect(crds.flatMap((crd) => builtinNameCollisions(crd.spec.names))).toEqual([]);
  });

  it("names the collision, e.g. the old ContainerSession short name cs", () => {
    expect(
      builtinNameCollisions({
        kind: "ContainerSession",
        plural: "containersessions",
        singular: "containersession",
        shortNames: ["cs"],
      }),
    ).toEqual(['ContainerSession: short name "cs" is also the built-in componentstatuses (ComponentStatus)']);
    expect(
      builtinNameCollisions({
        kind: "Deploy",
        plural: "deploys",
        singular: "deploy",
        shortNames: ["netpol"],
      }),
    ).toEqual([
      'Deploy: singular "deploy" is also the built-in deployments.apps (Deployment)',
      'Deploy: short name "netpol" is also the built-in networkpolicies.networking.k8s.io (NetworkPolicy)',
    ]);
  });

  it("the served built-ins advertise exactly the table's names, group, version and scope", () => {
    // Create-only review kinds (SelfSubjectAccessReview) are served but deliberately not in the table.
    const served = [
      ...builtinResourceTypes(),
      ...authResourceTypes().filter((rt) => !rt.plural.endsWith("reviews")),
      crdResourceType,
    ];
    expect(served.map((rt) => rt.plural)).toEqual(
      expect.arrayContaining([
        "serviceaccounts",
        "roles",
        "rolebindings",
        "clusterroles",
        "clusterrolebindings",
      ]),
    );
    for (const rt of served) {
      const entry = BUILTIN_RESOURCES.find((r) => r.group === rt.group && r.plural === rt.plural);
      expect(entry, `${rt.plural}.${rt.group} is in the table`).toBeDefined();
      expect({
        version: rt.version,
        singular: rt.singular,
        kind: rt.kind,
        namespaced: rt.namespaced,
        shortNames: rt.shortNames,
      }).toEqual({
        version: entry!.version,
        singular: entry!.singular,
        kind: entry!.kind,
        namespaced: entry!.namespaced,
        shortNames: entry!.shortNames ?? [],
      });
    }
  });
});

describe("discovery-only built-ins over HTTP", () => {
  let server: KubeApiServer;
  beforeAll(async () => {
    server = await startKubeApiServer();
  });
  afterAll(async () => {
    await server?.stop();
  });

  it("lists them in discovery with their real groups, versions and short names", async () => {
    const core = (await request(server.url, "GET", "/api/v1")).body;
    expect(core.resources).toContainEqual(
      expect.objectContaining({ name: "componentstatuses", kind: "ComponentStatus", shortNames: ["cs"] }),
    );
    expect(core.resources).toContainEqual(expect.objectContaining({ name: "pods", categories: ["all"] }));
    const apps = (await request(server.url, "GET", "/apis/apps/v1")).body;
    expect(apps.resources).toContainEqual(
      expect.objectContaining({ name: "deployments", shortNames: ["deploy"] }),
    );
    const groups = (await request(server.url, "GET", "/apis")).body.groups.map(
      (g: { name: string }) => g.name,
    );
    expect(groups).toEqual(
      expect.arrayContaining(["apps", "batch", "policy", "networking.k8s.io", "storage.k8s.io"]),
    );
  });

  it("answers lists with an empty list and gets with NotFound, like an empty cluster", async () => {
    const list = await request(server.url, "GET", "/api/v1/componentstatuses");
    expect(list.status).toBe(200);
    expect(list.body).toMatchObject({ kind: "ComponentStatusList", items: [] });
    const pods = await request(server.url, "GET", "/api/v1/namespaces/default/pods");
    expect(pods.body).toMatchObject({ kind: "PodList", items: [] });
    const get = await request(server.url, "GET", "/apis/apps/v1/namespaces/default/deployments/web");
    expect(get.status).toBe(404);
  });

  it("refuses every write with 405 MethodNotAllowed saying the test server does not store the kind", async () => {
    const create = await request(server.url, "POST", "/apis/apps/v1/namespaces/default/deployments", {
      apiVersion: "apps/v1",
      kind: "Deployment",
      metadata: { name: "web" },
    });
    expect(create.status).toBe(405);
    expect(create.body).toMatchObject({ kind: "Status", reason: "MethodNotAllowed", code: 405 });
    expect(create.body.message).toBe(
      "POST deployments (apps/v1): the Kubernetes API test server lists Deployment in discovery only " +
        "(so kubectl resolves names as on a real cluster) and does not store it; see docs/kube-apiserver.md",
    );
    const del = await request(server.url, "DELETE", "/api/v1/nodes/n1");
    expect(del.status).toBe(405);
    const patch = await request(server.url, "PATCH", "/api/v1/namespaces/default/pods/p", "{}", {
      "Content-Type": "application/merge-patch+json",
    });
    expect(patch.status).toBe(405);
  });
});
