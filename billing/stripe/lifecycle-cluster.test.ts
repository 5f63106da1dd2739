/**
 * The subscription lifecycle as the cluster sees it (Kubernetes API test server, the real feed): a plan
 * change reaches the License resource's tier and maxContainers in the commit's mirror — the input of the
 * operator's downgrade path, which ends the newest sessions beyond it (proven on its own in
 * operator/containersession/reconciler.test.ts, "a downgrade terminates the newest sessions…"); more
 * workstations bought become Workstation resources.
 */
import * as k8s from "@kubernetes/client-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CRD_DIR } from "../../crds/load.js";
import type { License, Workstation } from "../../crds/types.js";
import { type KubeApiServer, startKubeApiServer } from "../../test-support/kube-apiserver/index.js";
import { licenseResourceName } from "../cluster/projection.js";
import { type BillingHarness, eventsById, startBillingHarness } from "../testing/harness.js";

const GROUP = { group: "coditect.ai", version: "v1alpha1" };

describe("subscription changes reach the cluster", () => {
  let kube: KubeApiServer;
  let h: BillingHarness;
  let custom: k8s.CustomObjectsApi;

  beforeAll(async () => {
    kube = await startKubeApiServer({ crdDirs: [CRD_DIR] });
    h = await startBillingHarness({ kubeConfig: kube.kubeConfig() });
    custom = kube.kubeConfig().makeApiClient(k8s.CustomObjectsApi);
  });
  afterAll(async () => {
    await h?.stop();
    await kube?.stop();
  });

  const deliver = async (ids: string[]) => {
    for (const event of eventsById(h.fake, ids)) expect((await h.sendEvent(event)).status).toBe(200);
  };

  it("Pro → Starter: the License resource's maxContainers drops to Starter's; a workstation added appears", async () => {
    const purchase = await h.buy(
      [
        { product: "pro", quantity: 3 },
        { product: "standard", quantity: 1 },
      ],
      "downgrade-co",
    );
    await deliver(purchase.events.map((e) => e.id));
    const id = (
      await h.pool.query("SELECT id FROM licenses WHERE stripe_subscription_id = $1", [
        purchase.subscriptionId,
      ])
    ).rows[0].id as string;
    const license = (): Promise<License> =>
      custom.getNamespacedCustomObject({
        ...GROUP,
        plural: "licenses",
        namespace: "downgrade-co",
        name: licenseResourceName(id),
      });
    expect((await license()).spec).toMatchObject({ tier: "pro", maxContainers: 5, seats: 3 });

    const items = (
      h.fake.store.subscriptions.get(purchase.subscriptionId)!.items as {
        data: { id: string; price: { id: string } }[];
      }
    ).data;
    const licenseItem = items.find((i) => i.price.id === "price_fake_pro_monthly")!;
    const workstationItem = items.find((i) => i.price.id === "price_fake_standard_monthly")!;
    await h.deps.stripe.subscriptions.update(purchase.subscriptionId, {
      items: [
        { id: licenseItem.id, price: "price_fake_starter_monthly" },
        { id: workstationItem.id, quantity: 2 },
      ],
    });
    await deliver([h.fake.store.events.at(-1)!.id]);
    expect((await license()).spec).toMatchObject({ tier: "starter", maxContainers: 1, seats: 3 });
    const workstations = (
      (await custom.listNamespacedCustomObject({
        ...GROUP,
        plural: "workstations",
        namespace: "downgrade-co",
      })) as { items: Workstation[] }
    ).items;
    expect(workstations.map((w) => w.metadata?.name?.split("-").at(-1)).sort()).toEqual(["1", "2"]);
  });
});
