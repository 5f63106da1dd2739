/**
 * GET /v1/admin/workstations with a cluster (the Kubernetes API test server): each workstation carries its
 * Workstation resource's status as the operator wrote it, read with billing's own credentials (KUBECONFIG);
 * a provisioned workstation's resource is created by the feed after commit with the user as spec.user.
 */
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as k8s from "@kubernetes/client-node";
import { PatchStrategy, setHeaderOptions } from "@kubernetes/client-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CRD_DIR } from "../../crds/load.js";
import type { Workstation } from "../../crds/types.js";
import { type KubeApiServer, startKubeApiServer } from "../../test-support/kube-apiserver/index.js";
import { type BillingHarness, startBillingHarness } from "../testing/harness.js";

const GROUP = { group: "coditect.ai", version: "v1alpha1", plural: "workstations" };

describe("admin workstation list with cluster status", () => {
  let kube: KubeApiServer;
  let h: BillingHarness;
  let custom: k8s.CustomObjectsApi;
  beforeAll(async () => {
    kube = await startKubeApiServer({ crdDirs: [CRD_DIR] });
    const file = join(mkdtempSync(join(tmpdir(), "admin-ws-")), "kubeconfig");
    writeFileSync(file, kube.kubeConfig().exportConfig());
    h = await startBillingHarness({ kubeConfig: kube.kubeConfig(), env: { KUBECONFIG: file } });
    custom = kube.kubeConfig().makeApiClient(k8s.CustomObjectsApi);
  });
  afterAll(async () => {
    await h?.stop();
    await kube?.stop();
  });

  it("shows the resource's phase, state and access URL next to the Postgres row", async () => {
    const created = (await (
      await h.admin("POST", "/licenses", {
        organization: "status-co",
        customerEmail: "owner@status.test",
        tier: "pro",
        provisioningType: "pilot",
        durationDays: 30,
      })
    ).json()) as { license: { id: string } };
    const res = await h.admin("POST", "/workstations", {
      licenseId: created.license.id,
      tier: "standard",
      userEmail: "dev@status.test",
    });
    expect(res.status).toBe(201);
    const { workstation } = (await res.json()) as { workstation: { name: string } };
    const resource = (await custom.getNamespacedCustomObject({
      ...GROUP,
      namespace: "status-co",
      name: workstation.name,
    })) as Workstation;
    expect(resource.spec).toMatchObject({ user: "dev@status.test", tier: "standard" });

    const list = async () =>
      (await (await h.admin("GET", "/workstations?organization=status-co")).json()) as {
        cluster: string;
        workstations: { name: string; status: Record<string, unknown> | null }[];
      };
    expect((await list()).workstations[0]).toMatchObject({
      name: workstation.name,
      status: { phase: null, state: null, accessUrl: null, user: "dev@status.test", desiredState: "Running" },
    });

    // What the operator writes once the cloud workstation runs.
    await custom.patchNamespacedCustomObjectStatus(
      {
        ...GROUP,
        namespace: "status-co",
        name: workstation.name,
        body: {
          status: {
            phase: "Running",
            state: "STATE_RUNNING",
            host: "ws-1.cloudworkstations.test",
            accessUrl: "https://ws-1.cloudworkstations.test",
            accessGrantedTo: "dev@status.test",
          },
        },
      },
      setHeaderOptions("Content-Type", PatchStrategy.MergePatch),
    );
    const after = await list();
    expect(after.cluster).toBe("ok");
    expect(after.workstations).toEqual([
      expect.objectContaining({
        name: workstation.name,
        userEmail: "dev@status.test",
        status: {
          phase: "Running",
          state: "STATE_RUNNING",
          host: "ws-1.cloudworkstations.test",
          accessUrl: "https://ws-1.cloudworkstations.test",
          accessGrantedTo: "dev@status.test",
          user: "dev@status.test",
          desiredState: "Running",
        },
      }),
    ]);
  });

  it("lists from Postgres with cluster 'unavailable' when the Kubernetes API fails", async () => {
    kube.faults.failNext(1, 500);
    const res = await h.admin("GET", "/workstations?organization=status-co");
    expect(res.status).toBe(200);
    const body = (await res.json()) as { cluster: string; workstations: { status: unknown }[] };
    expect(body.cluster).toBe("unavailable");
    expect(body.workstations).toHaveLength(1);
    expect(body.workstations[0]!.status).toBeNull();
  });
});
