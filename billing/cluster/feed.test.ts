import * as k8s from "@kubernetes/client-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CRD_DIR } from "../../crds/load.js";
import type { License, Workstation } from "../../crds/types.js";
import { type KubeApiServer, startKubeApiServer } from "../../test-support/kube-apiserver/index.js";
import { waitFor } from "../../test-support/wait.js";
import { type BillingHarness, eventsById, startBillingHarness } from "../testing/harness.js";
import { licenseResourceName } from "./projection.js";

const GROUP = { group: "coditect.ai", version: "v1alpha1" };

describe("cluster feed against the Kubernetes API test server", () => {
  let kube: KubeApiServer;
  let h: BillingHarness;
  let custom: k8s.CustomObjectsApi;
  let core: k8s.CoreV1Api;

  beforeAll(async () => {
    kube = await startKubeApiServer({ crdDirs: [CRD_DIR] });
    h = await startBillingHarness({ kubeConfig: kube.kubeConfig() });
    custom = kube.kubeConfig().makeApiClient(k8s.CustomObjectsApi);
    core = kube.kubeConfig().makeApiClient(k8s.CoreV1Api);
  });
  afterAll(async () => {
    await h?.stop();
    await kube?.stop();
  });

  const getLicense = (namespace: string, id: string): Promise<License> =>
    custom.getNamespacedCustomObject({
      ...GROUP,
      plural: "licenses",
      namespace,
      name: licenseResourceName(id),
    });
  const listWorkstations = async (namespace: string): Promise<Workstation[]> =>
    (
      (await custom.listNamespacedCustomObject({ ...GROUP, plural: "workstations", namespace })) as {
        items: Workstation[];
      }
    ).items;
  const deliverAll = async (ids: string[]) => {
    for (const event of eventsById(h.fake, ids)) expect((await h.sendEvent(event)).status).toBe(200);
  };
  const licenseIdOf = async (subscriptionId: string) =>
    (await h.pool.query("SELECT id FROM licenses WHERE stripe_subscription_id = $1", [subscriptionId]))
      .rows[0].id as string;

  it("a purchase creates the namespace, the License and one Workstation per bought unit", async () => {
    const purchase = await h.buy(
      [
        { product: "pro", quantity: 3 },
        { product: "power", quantity: 2 },
      ],
      "globex",
      "dev@globex.test",
    );
    await deliverAll(purchase.events.map((e) => e.id));
    const id = await licenseIdOf(purchase.subscriptionId);

    const namespace = await core.readNamespace({ name: "globex" });
    expect(namespace.metadata?.name).toBe("globex");
    const license = await getLicense("globex", id);
    // The label that makes the operator act on it (contract C6).
    expect(license.metadata?.labels?.["app.kubernetes.io/managed-by"]).toBe("coditect-billing");
    expect(license.spec).toEqual({
      licenseId: id,
      organization: "globex",
      tier: "pro",
      maxContainers: 5,
      seats: 3,
      workstationTier: "power",
      expiresAt: "2026-07-01T00:00:00.000Z",
      provisioningType: "paid",
      state: "active",
      stateReason: "Paid",
    });
    const workstations = await listWorkstations("globex");
    expect(workstations).toHaveLength(2);
    for (const ws of workstations) {
      expect(ws.metadata?.name).toMatch(/^ws-[a-z0-9]+-[0-9a-f]{10}-[12]$/);
      expect(ws.spec).toEqual({
        licenseRef: { name: licenseResourceName(id) },
        user: "dev@globex.test",
        tier: "power",
        desiredState: "Running",
      });
    }

    // A retried webhook (new event id, same session) and the success redirect never create more.
    const completed = eventsById(h.fake, [
      purchase.events.find((e) => e.type === "checkout.session.completed")!.id,
    ])[0]!;
    expect((await h.sendEvent({ ...completed, id: "evt_test_retry_of_completed" })).status).toBe(200);
    expect((await fetch(`${h.url}/v1/checkout/success?session_id=${purchase.sessionId}`)).status).toBe(200);
    expect(await listWorkstations("globex")).toHaveLength(2);
    expect(
      (
        await h.pool.query("SELECT count(*)::int AS n FROM provisioned_workstations WHERE license_id = $1", [
          id,
        ])
      ).rows[0].n,
    ).toBe(2);
  });

  it("keeps the License equal to Postgres after admin changes and removes it on purge", async () => {
    const created = await h.admin("POST", "/licenses", {
      organization: "initech",
      customerEmail: "ops@initech.test",
      tier: "enterprise",
      provisioningType: "pilot",
      durationDays: 30,
      seats: 10,
      workstationTier: "ai",
      workstations: 1,
    });
    expect(created.status).toBe(201);
    const { license } = (await created.json()) as { license: { id: string } };
    expect((await getLicense("initech", license.id)).spec).toMatchObject({
      tier: "enterprise",
      maxContainers: null,
      seats: 10,
      provisioningType: "pilot",
      state: "active",
      stateReason: "AdminGranted",
    });
    expect((await listWorkstations("initech")).map((w) => w.spec.tier)).toEqual(["ai"]);

    expect(
      (await h.admin("PATCH", `/licenses/${license.id}/overrides`, { maxContainers: 7, reason: "pilot cap" }))
        .status,
    ).toBe(200);
    expect((await getLicense("initech", license.id)).spec.maxContainers).toBe(7);
    expect((await h.admin("POST", `/licenses/${license.id}/revoke`, { reason: "pilot ended" })).status).toBe(
      200,
    );
    expect((await getLicense("initech", license.id)).spec).toMatchObject({
      state: "revoked",
      stateReason: "AdminRevoked",
    });

    expect((await h.admin("DELETE", `/licenses/${license.id}`, { reason: "cleanup" })).status).toBe(204);
    await expect(getLicense("initech", license.id)).rejects.toMatchObject({ code: 404 });
  });

  it("the periodic resync repairs hand edits, deletions and orphans", async () => {
    const purchase = await h.buy([{ product: "starter", quantity: 1 }], "umbrella");
    await deliverAll(purchase.events.map((e) => e.id));
    const id = await licenseIdOf(purchase.subscriptionId);
    const name = licenseResourceName(id);
    const edited = await getLicense("umbrella", id);
    await custom.replaceNamespacedCustomObject({
      ...GROUP,
      plural: "licenses",
      namespace: "umbrella",
      name,
      body: { ...edited, spec: { ...edited.spec, seats: 99, maxContainers: 50 } },
    });
    const orphanId = "00000000-0000-4000-8000-000000000001";
    await custom.createNamespacedCustomObject({
      ...GROUP,
      plural: "licenses",
      namespace: "umbrella",
      body: {
        apiVersion: "coditect.ai/v1alpha1",
        kind: "License",
        metadata: {
          name: licenseResourceName(orphanId),
          labels: { "app.kubernetes.io/managed-by": "coditect-billing", "coditect.ai/license-id": orphanId },
        },
        spec: {
          licenseId: orphanId,
          organization: "umbrella",
          tier: "starter",
          maxContainers: 1,
          seats: 1,
          expiresAt: null,
          provisioningType: "trial",
          state: "active",
        },
      },
    });

    const report = await h.deps.kube!.resyncAll();
    expect(report.failed).toBe(0);
    expect(report.removed).toBe(1);
    expect((await getLicense("umbrella", id)).spec).toMatchObject({ seats: 1, maxContainers: 1 });
    await expect(getLicense("umbrella", orphanId)).rejects.toMatchObject({ code: 404 });
  });

  it("recreates an organization namespace that was deleted behind its back", async () => {
    const created = await h.admin("POST", "/licenses", {
      organization: "vandelay",
      customerEmail: "art@vandelay.test",
      tier: "pro",
      provisioningType: "comp",
      durationDays: 90,
    });
    const { license } = (await created.json()) as { license: { id: string } };
    await getLicense("vandelay", license.id);
    await core.deleteNamespace({ name: "vandelay" });
    await waitFor("namespace vandelay to be gone", async () => {
      try {
        await core.readNamespace({ name: "vandelay" });
        return undefined;
      } catch (err) {
        return (err as { code?: number }).code === 404 ? true : undefined;
      }
    });
    expect(
      (await h.admin("POST", `/licenses/${license.id}/extend`, { days: 5, reason: "goodwill" })).status,
    ).toBe(200);
    expect((await getLicense("vandelay", license.id)).spec.expiresAt).toBe("2026-09-04T00:00:00.000Z");
  });

  it("a cluster outage never fails a license change; the next resync catches up", async () => {
    const created = await h.admin("POST", "/licenses", {
      organization: "hooli",
      customerEmail: "it@hooli.test",
      tier: "starter",
      provisioningType: "trial",
      durationDays: 14,
    });
    const { license } = (await created.json()) as { license: { id: string } };
    kube.faults.failNext(50, 500);
    const suspended = await h.admin("POST", `/licenses/${license.id}/suspend`, { reason: "abuse report" });
    expect(suspended.status).toBe(200);
    const ready = await fetch(`${h.url}/readyz`);
    expect(ready.status).toBe(503);
    kube.faults.failNext(0, 500);
    await waitFor("cluster to answer", async () =>
      (await fetch(`${h.url}/readyz`)).status === 200 ? true : undefined,
    );
    await h.deps.kube!.resyncAll();
    expect((await getLicense("hooli", license.id)).spec).toMatchObject({
      state: "suspended",
      stateReason: "AdminSuspended",
    });
    const metrics = await (await fetch(`${h.url}/metrics`)).text();
    expect(metrics).toMatch(/billing_cluster_sync_failures_total\{operation="sync"\} [1-9]/);
  });
});
