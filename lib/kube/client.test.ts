/**
 * lib/kube's client against the API test server over TLS with RBAC on (its CA verified, the admin token):
 * CRUD on a CRD and on Namespaces/Events/Leases, the status subresource, label selectors, the error
 * mapping (404, 409 AlreadyExists vs Conflict, 422 Invalid, 429 Retry-After) and the rate limit. Writes
 * are checked with an independent client (client-node) where it matters what the server holds.
 */
import { CoreV1Api } from "@kubernetes/client-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { FIXTURES_DIR, widget } from "../../test-support/kube-apiserver/fixtures/helpers.js";
import { type KubeApiServer, startKubeApiServer } from "../../test-support/kube-apiserver/index.js";
import { kubeConnectionFor } from "../../test-support/kube-apiserver/kubeconfig.js";
import { ManualClock } from "../clock.js";
import { createKubeClient, type KubeClient } from "./client.js";
import { retryOnConflict } from "./conflict.js";
import { KubeApiError, KubeConnectionError } from "./errors.js";
import type { KubeObject } from "./objects.js";
import { EventResource, LeaseResource, NamespaceResource, type ResourceRef } from "./resources.js";

const WidgetResource: ResourceRef = {
  group: "test.coditect.ai",
  version: "v1",
  plural: "widgets",
  kind: "Widget",
};
type Widget = KubeObject & { spec?: Record<string, unknown>; status?: Record<string, unknown> };

let server: KubeApiServer;
let kube: KubeClient;
let counter = 0;

beforeAll(async () => {
  server = await startKubeApiServer({ crdDirs: [FIXTURES_DIR], tls: true, rbac: true });
  kube = createKubeClient(
    kubeConnectionFor({ url: server.url, caPem: server.caPem, token: server.adminToken }),
    {
      userAgent: "coditect-test",
    },
  );
});
afterAll(async () => {
  await kube?.close();
  await server?.stop();
});

async function freshNamespace(): Promise<string> {
  const name = `kube-client-${++counter}`;
  await kube.resource(NamespaceResource).create({ metadata: { name } });
  return name;
}

async function rejection(promise: Promise<unknown>): Promise<KubeApiError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(KubeApiError);
  return error as KubeApiError;
}

describe("createKubeClient: CRUD on a custom resource", () => {
  it("creates, gets, lists, replaces, patches and deletes; 404 is null/false", async () => {
    const ns = await freshNamespace();
    const widgets = kube.resource<Widget>(WidgetResource);
    const created = await widgets.create({
      ...widget("w1", { count: 1 }),
      metadata: { name: "w1", namespace: ns },
    });
    expect(created.metadata?.uid).toBeTruthy();
    expect(created.metadata?.resourceVersion).toBeTruthy();

    const read = await widgets.get(ns, "w1");
    expect(read?.spec).toMatchObject({ tier: "pro", count: 1 });
    expect(await widgets.get(ns, "absent")).toBeNull();

    const replaced = await widgets.replace({ ...read!, spec: { ...read!.spec, count: 2 } });
    expect(replaced.spec?.count).toBe(2);
    expect(replaced.metadata?.resourceVersion).not.toBe(read!.metadata?.resourceVersion);

    const patched = await widgets.patch(ns, "w1", { spec: { count: 3 } });
    expect(patched.spec?.count).toBe(3);
    const jsonPatched = await widgets.patch(
      ns,
      "w1",
      [{ op: "replace", path: "/spec/count", value: 4 }],
      "json",
    );
    expect(jsonPatched.spec?.count).toBe(4);

    const list = await widgets.list({ namespace: ns });
    expect(list.items.map((w) => w.metadata?.name)).toEqual(["w1"]);
    expect(list.metadata?.resourceVersion).toBeTruthy();

    expect(await widgets.delete(ns, "w1")).toBe(true);
    expect(await widgets.delete(ns, "w1")).toBe(false);
    expect(await widgets.get(ns, "w1")).toBeNull();
  });

  it("patchStatus writes only the status subresource", async () => {
    const ns = await freshNamespace();
    const widgets = kube.resource<Widget>(WidgetResource);
    await widgets.create({ ...widget("s1"), metadata: { name: "s1", namespace: ns } });
    const conditions = [{ type: "Ready", status: "True" }];
    const afterStatus = await widgets.patchStatus(ns, "s1", { status: { conditions }, spec: { count: 9 } });
    expect(afterStatus.status).toEqual({ conditions });
    expect(afterStatus.spec?.count).toBeUndefined(); // spec changes through /status are ignored
    // a plain patch ignores status (the subresource owns it)
    const afterPatch = await widgets.patch(ns, "s1", { status: { conditions: [] } });
    expect(afterPatch.status).toEqual({ conditions });
  });

  it("lists by label selector and pages with limit/continue", async () => {
    const ns = await freshNamespace();
    const widgets = kube.resource<Widget>(WidgetResource);
    for (const [name, team] of [
      ["a", "red"],
      ["b", "blue"],
      ["c", "red"],
    ] as const) {
      await widgets.create({ ...widget(name), metadata: { name, namespace: ns, labels: { team } } });
    }
    const red = await widgets.list({ namespace: ns, labelSelector: "team=red" });
    expect(red.items.map((w) => w.metadata?.name).sort()).toEqual(["a", "c"]);
    const notRed = await widgets.list({ namespace: ns, labelSelector: "team!=red" });
    expect(notRed.items.map((w) => w.metadata?.name)).toEqual(["b"]);
    const byName = await widgets.list({ namespace: ns, fieldSelector: "metadata.name=b" });
    expect(byName.items.map((w) => w.metadata?.name)).toEqual(["b"]);

    const first = await widgets.list({ namespace: ns, limit: 2 });
    expect(first.items).toHaveLength(2);
    expect(first.metadata?.continue).toBeTruthy();
    const rest = await widgets.list({ namespace: ns, limit: 2, continue: first.metadata!.continue! });
    expect([...first.items, ...rest.items].map((w) => w.metadata?.name).sort()).toEqual(["a", "b", "c"]);
  });

  it("all namespaces: a list without a namespace", async () => {
    const [ns1, ns2] = [await freshNamespace(), await freshNamespace()];
    const widgets = kube.resource<Widget>(WidgetResource);
    await widgets.create({ ...widget("x"), metadata: { name: "x", namespace: ns1, labels: { all: "yes" } } });
    await widgets.create({ ...widget("x"), metadata: { name: "x", namespace: ns2, labels: { all: "yes" } } });
    const all = await widgets.list({ labelSelector: "all=yes" });
    expect(all.items.map((w) => w.metadata?.namespace).sort()).toEqual([ns1, ns2].sort());
  });
});

describe("createKubeClient: errors", () => {
  it("409 AlreadyExists on create, 409 Conflict on a stale replace; retryOnConflict retries only the latter", async () => {
    const ns = await freshNamespace();
    const widgets = kube.resource<Widget>(WidgetResource);
    const first = await widgets.create({ ...widget("c1"), metadata: { name: "c1", namespace: ns } });
    const exists = await rejection(
      widgets.create({ ...widget("c1"), metadata: { name: "c1", namespace: ns } }),
    );
    expect(exists).toMatchObject({ status: 409, reason: "AlreadyExists" });
    expect(exists.request).toBe(`POST /apis/test.coditect.ai/v1/namespaces/${ns}/widgets`);

    await widgets.patch(ns, "c1", { spec: { count: 5 } });
    const stale = await rejection(widgets.replace({ ...first, spec: { ...first.spec, count: 6 } }));
    expect(stale).toMatchObject({ status: 409, reason: "Conflict" });

    let runs = 0;
    const result = await retryOnConflict(async () => {
      runs += 1;
      const current = (await widgets.get(ns, "c1"))!;
      // the first attempt writes a stale copy, as if another writer had won the race
      const base = runs === 1 ? first : current;
      return widgets.replace({ ...base, spec: { ...current.spec, count: 7 } });
    });
    expect(runs).toBe(2);
    expect(result.spec?.count).toBe(7);

    let creates = 0;
    await expect(
      retryOnConflict(() => {
        creates += 1;
        return widgets.create({ ...widget("c1"), metadata: { name: "c1", namespace: ns } });
      }),
    ).rejects.toMatchObject({ reason: "AlreadyExists" });
    expect(creates).toBe(1);
  });

  it("422 Invalid carries the server's message and changes nothing", async () => {
    const ns = await freshNamespace();
    const widgets = kube.resource<Widget>(WidgetResource);
    const invalid = await rejection(
      widgets.create({ ...widget("bad", { tier: "gold" }), metadata: { name: "bad", namespace: ns } }),
    );
    expect(invalid).toMatchObject({ status: 422, reason: "Invalid" });
    expect(invalid.message).toContain("spec.tier");
    expect(invalid.body?.details?.causes?.length).toBeGreaterThan(0);
    expect(await widgets.get(ns, "bad")).toBeNull();
  });

  it("429 maps Retry-After; 500 has none; a refused connection is a KubeConnectionError", async () => {
    const namespaces = kube.resource(NamespaceResource);
    server.faults.failNext(1, 429, 7);
    const throttled = await rejection(namespaces.get(undefined, "default"));
    expect(throttled).toMatchObject({ status: 429, reason: "TooManyRequests", retryAfterSeconds: 7 });
    server.faults.failNext(1, 500);
    const failed = await rejection(namespaces.list());
    expect(failed).toMatchObject({ status: 500, reason: "InternalError", retryAfterSeconds: undefined });
    expect(await namespaces.get(undefined, "default")).not.toBeNull();

    const nowhere = createKubeClient({ server: "http://127.0.0.1:1", description: "nowhere" });
    const refused = await nowhere
      .resource(NamespaceResource)
      .list()
      .catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(KubeConnectionError);
    expect((refused as Error).message).toContain("GET /api/v1/namespaces to nowhere");
    await nowhere.close();
  });

  it("401 for a bad token, 403 Forbidden from RBAC", async () => {
    const stranger = createKubeClient(
      kubeConnectionFor({ url: server.url, caPem: server.caPem, token: "wrong" }),
    );
    const unauthorized = await rejection(stranger.resource(NamespaceResource).list());
    expect(unauthorized.status).toBe(401);
    await stranger.close();

    const ns = await freshNamespace();
    const ServiceAccountResource: ResourceRef = {
      group: "",
      version: "v1",
      plural: "serviceaccounts",
      kind: "ServiceAccount",
    };
    await kube.resource(ServiceAccountResource).create({ metadata: { name: "nobody", namespace: ns } });
    const token = await server.serviceAccountToken(ns, "nobody");
    const nobody = createKubeClient(kubeConnectionFor({ url: server.url, caPem: server.caPem, token }));
    const forbidden = await rejection(nobody.resource(NamespaceResource).list());
    expect(forbidden).toMatchObject({ status: 403, reason: "Forbidden" });
    await nobody.close();
  });

  it("a per-request timeout becomes a KubeConnectionError naming the wait", async () => {
    const slow = createKubeClient(
      kubeConnectionFor({ url: server.url, caPem: server.caPem, token: server.adminToken }),
      {
        requestTimeoutMs: 100,
      },
    );
    server.faults.setLatency(1_000);
    try {
      const error = await slow
        .resource(NamespaceResource)
        .list()
        .catch((e: unknown) => e);
      expect(error).toBeInstanceOf(KubeConnectionError);
      expect((error as Error).message).toContain("no answer within 100 ms");
    } finally {
      server.faults.setLatency(0);
      await slow.close();
    }
  });
});

describe("createKubeClient: built-in kinds", () => {
  it("Namespaces (cluster-scoped), Events (create + merge patch of the series), Leases (replace with resourceVersion)", async () => {
    const ns = await freshNamespace();
    const independent = server.kubeConfig().makeApiClient(CoreV1Api);
    expect((await independent.readNamespace({ name: ns })).metadata?.name).toBe(ns);

    const events = kube.resource<KubeObject & { count?: number; reason?: string }>(EventResource);
    await events.create({
      metadata: { name: "e1", namespace: ns },
      involvedObject: { kind: "Widget", name: "w", namespace: ns },
      reason: "Ready",
      message: "became ready",
      type: "Normal",
      count: 1,
    } as KubeObject);
    await events.patch(ns, "e1", { count: 2 });
    const stored = await independent.readNamespacedEvent({ namespace: ns, name: "e1" });
    expect(stored.count).toBe(2);
    expect(stored.reason).toBe("Ready");

    type Lease = KubeObject & { spec?: { holderIdentity?: string } };
    const leases = kube.resource<Lease>(LeaseResource);
    const lease = await leases.create({
      metadata: { name: "leader", namespace: ns },
      spec: { holderIdentity: "a" },
    });
    const taken = await leases.replace({ ...lease, spec: { holderIdentity: "b" } });
    expect(taken.spec?.holderIdentity).toBe("b");
    const stale = await rejection(leases.replace({ ...lease, spec: { holderIdentity: "c" } }));
    expect(stale.reason).toBe("Conflict");
    expect((await leases.get(ns, "leader"))?.spec?.holderIdentity).toBe("b");

    expect(await kube.resource(NamespaceResource).delete(undefined, ns)).toBe(true);
  });

  it("create fills apiVersion/kind and needs a namespace for a namespaced kind", async () => {
    const ns = await freshNamespace();
    const widgets = kube.resource<Widget>(WidgetResource);
    const bare = await widgets.create({
      metadata: { name: "bare", namespace: ns },
      spec: { tier: "pro", owner: "o@example.com" },
    });
    expect(bare).toMatchObject({ apiVersion: "test.coditect.ai/v1", kind: "Widget" });
    const noNamespace = createKubeClient({ ...kube.connection, namespace: undefined });
    await expect(noNamespace.resource<Widget>(WidgetResource).create(widget("n"))).rejects.toThrow(
      /it is namespaced; set metadata.namespace/,
    );
    await noNamespace.close();
  });
});

describe("createKubeClient: rate limit", () => {
  it("sends the burst at once, then makes further requests wait; watches are not counted", async () => {
    // A clock that does not move: no token refills, so every request after the burst waits (1 ms each).
    const limited = createKubeClient(
      kubeConnectionFor({ url: server.url, caPem: server.caPem, token: server.adminToken }),
      {
        rateLimit: { qps: 1_000, burst: 3 },
        clock: new ManualClock(),
      },
    );
    const namespaces = limited.resource(NamespaceResource);
    await Promise.all([namespaces.list(), namespaces.list(), namespaces.list()]);
    expect(limited.throttled).toBe(0);
    await Promise.all([namespaces.list(), namespaces.list()]);
    expect(limited.throttled).toBe(2);
    expect(kube.throttled).toBe(0); // no rateLimit: never throttled
    await limited.close();
  });
});
