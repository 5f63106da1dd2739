/**
 * What the informer cache holds (ADR 0260): the transform drops managedFields and kubectl's
 * last-applied copy, keeps everything reconcilers read; the secondary index follows adds, updates and
 * deletes from the watch. Against the Kubernetes API test server.
 */
import {
  CoreV1Api,
  CustomObjectsApi,
  type KubeConfig,
  PatchStrategy,
  setHeaderOptions,
} from "@kubernetes/client-node";
import { pino } from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CRD_DIR } from "../../crds/load.js";
import { type License, LicenseResource } from "../../crds/types.js";
import { systemClock } from "../../lib/clock.js";
import type { KubeClient } from "../../lib/kube/client.js";
import { type KubeApiServer, startKubeApiServer } from "../../test-support/kube-apiserver/index.js";
import { waitFor } from "../../test-support/wait.js";
import { operatorKubeClient } from "../testing/kube-client.js";
import { LAST_APPLIED_ANNOTATION, stripForCache } from "./cache-transform.js";
import { Manager } from "./manager.js";

let kube: KubeApiServer;
let kc: KubeConfig;
let manager: Manager | undefined;
/** The operator's client (lib/kube); `kc` stays the independent one that checks the server. */
let opKube: KubeClient | undefined;
const lic = {
  group: LicenseResource.group,
  version: LicenseResource.version,
  plural: LicenseResource.plural,
};

beforeAll(async () => {
  kube = await startKubeApiServer({ crdDirs: [CRD_DIR] });
  kc = kube.kubeConfig();
  await kc.makeApiClient(CoreV1Api).createNamespace({ body: { metadata: { name: "cache" } } });
});
afterAll(async () => {
  await manager?.stop();
  await opKube?.close();
  await kube?.stop();
});

function license(name: string, tier: string): License {
  const body = {
    apiVersion: "coditect.ai/v1alpha1",
    kind: "License",
    metadata: {
      name,
      namespace: "cache",
      labels: { "app.kubernetes.io/managed-by": "coditect-billing" },
      annotations: { "coditect.ai/audit-ref": "billing:audit_events/x" } as Record<string, string>,
    },
    spec: {
      licenseId: crypto.randomUUID(),
      organization: "cache",
      tier,
      maxContainers: 5,
      seats: 1,
      expiresAt: null,
      provisioningType: "internal",
      state: "active",
    },
  } as unknown as License;
  // What `kubectl apply` leaves on an object: a full second copy of it.
  body.metadata!.annotations![LAST_APPLIED_ANNOTATION] = JSON.stringify(body);
  return body;
}

describe("informer cache", () => {
  it("stripForCache drops managedFields, selfLink and the last-applied copy and keeps the rest", () => {
    const obj = license("a", "pro") as License & {
      metadata: { managedFields?: unknown[]; selfLink?: string };
    };
    obj.metadata.managedFields = [{ manager: "kubectl", operation: "Apply", fieldsV1: { "f:spec": {} } }];
    obj.metadata.selfLink = "/apis/coditect.ai/v1alpha1/namespaces/cache/licenses/a";
    const cached = stripForCache(obj);
    expect(cached.metadata).not.toHaveProperty("managedFields");
    expect(cached.metadata).not.toHaveProperty("selfLink");
    expect(cached.metadata?.annotations).toEqual({ "coditect.ai/audit-ref": "billing:audit_events/x" });
    expect(cached.metadata?.labels).toEqual({ "app.kubernetes.io/managed-by": "coditect-billing" });
    expect(cached.spec.tier).toBe("pro");
    const onlyLastApplied = license("b", "pro");
    onlyLastApplied.metadata!.annotations = { [LAST_APPLIED_ANNOTATION]: "{}" };
    expect(stripForCache(onlyLastApplied).metadata).not.toHaveProperty("annotations");
  });

  it("caches listed and watched objects transformed, and the index follows updates and deletes", async () => {
    const api = kc.makeApiClient(CustomObjectsApi);
    await api.createNamespacedCustomObject({ ...lic, namespace: "cache", body: license("listed", "pro") });
    opKube = operatorKubeClient(kube);
    manager = new Manager({
      kubeClient: opKube,
      clock: systemClock,
      logger: pino({ level: "silent" }),
      leaderElection: false,
    });
    const informer = manager.informer(manager.client<License>(LicenseResource), {
      indexBy: (l) => l.spec.tier,
    });
    await manager.start();
    await informer.waitForSync();
    // The API server still holds the last-applied copy; the cache does not.
    const stored = (await api.getNamespacedCustomObject({
      ...lic,
      namespace: "cache",
      name: "listed",
    })) as License;
    expect(stored.metadata?.annotations?.[LAST_APPLIED_ANNOTATION]).toBeDefined();
    expect(informer.get("cache/listed")?.metadata?.annotations).toEqual({
      "coditect.ai/audit-ref": "billing:audit_events/x",
    });

    await api.createNamespacedCustomObject({ ...lic, namespace: "cache", body: license("watched", "pro") });
    await waitFor("watched in the cache", () => informer.get("cache/watched"));
    expect(informer.get("cache/watched")?.metadata?.annotations?.[LAST_APPLIED_ANNOTATION]).toBeUndefined();
    expect(
      informer
        .byIndex("pro")
        .map((l) => l.metadata?.name)
        .sort(),
    ).toEqual(["listed", "watched"]);

    await api.patchNamespacedCustomObject(
      { ...lic, namespace: "cache", name: "watched", body: { spec: { tier: "enterprise" } } },
      setHeaderOptions("Content-Type", PatchStrategy.MergePatch),
    );
    await waitFor("moved to the enterprise bucket", () => informer.byIndex("enterprise").length === 1);
    expect(informer.byIndex("pro").map((l) => l.metadata?.name)).toEqual(["listed"]);

    await api.deleteNamespacedCustomObject({ ...lic, namespace: "cache", name: "listed" });
    await waitFor("deleted from the index", () => informer.byIndex("pro").length === 0);
    expect(informer.byIndex("nothing")).toEqual([]);
  });
});
