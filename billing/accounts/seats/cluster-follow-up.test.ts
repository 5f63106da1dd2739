/**
 * Unassigning a seat, seen from the cluster: the whole billing app with its cluster credentials from
 * KUBECONFIG (as in the sandbox) against the Kubernetes API test server. The ContainerSession resources
 * follow the ends decided in Postgres: the multi-user container's status.users loses the person, the
 * session admitted through their workstation is terminated with reason SeatUnassigned, and their
 * Workstation resource loses its user and stops.
 */
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as k8s from "@kubernetes/client-node";
import { afterAll, beforeAll, expect, it } from "vitest";
import { CRD_DIR } from "../../../crds/load.js";
import {
  type ContainerSession,
  ContainerSessionResource,
  type Workstation,
  WorkstationResource,
} from "../../../crds/types.js";
import { provisionServiceIdentities, writeKubeTls } from "../../../sandbox/kube-access.js";
import { kubePaths } from "../../../sandbox/plan.js";
import { type KubeApiServer, startKubeApiServer } from "../../../test-support/kube-apiserver/index.js";
import { type BillingHarness, startBillingHarness } from "../../testing/harness.js";
import { type TestOrganization, testOrganization } from "../testing/organization.js";
import { callAs, grantLicense } from "./testing.js";

let kube: KubeApiServer;
let h: BillingHarness;
let custom: k8s.CustomObjectsApi;
let org: TestOrganization;
let dir: string;

beforeAll(async () => {
  // TLS and RBAC on, billing as its own ServiceAccount with the ClusterRole production applies
  // (BILLING_CLUSTER_RULES, provisioned as the sandbox does): a call billing's role lacks is a 403.
  dir = mkdtempSync(join(tmpdir(), "seat-follow-up-"));
  const kubeDir = join(dir, "kube");
  const { caPem } = await writeKubeTls(kubeDir);
  const paths = kubePaths(kubeDir);
  kube = await startKubeApiServer({
    crdDirs: [CRD_DIR],
    rbac: true,
    tls: { caPem, certPem: readFileSync(paths.cert, "utf8"), keyPem: readFileSync(paths.key, "utf8") },
  });
  const files = await provisionServiceIdentities({
    kubeDir,
    url: kube.url,
    caPem,
    adminToken: kube.adminToken,
  });
  const billing = new k8s.KubeConfig();
  billing.loadFromFile(files.billing);
  h = await startBillingHarness({ kubeConfig: billing, env: { KUBECONFIG: files.billing } });
  custom = kube.kubeConfig().makeApiClient(k8s.CustomObjectsApi);
  org = await testOrganization(h.pool, "followco", h.clock.now());
});
afterAll(async () => {
  await h?.stop();
  await kube?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

const post = async (path: string, body: unknown, token: string) => {
  const res = await fetch(`${h.url}${path}`, {
    method: "POST",
    headers: { "content-type": "application/json", authorization: `Bearer ${token}` },
    body: JSON.stringify(body),
  });
  return { status: res.status, body: (await res.json()) as Record<string, string> };
};
const validate = async (key: string, containerId: string, maxUsers: number) => {
  const res = await fetch(`${h.url}/v1/sessions/validate`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ licenseKey: key, containerId, containerType: "docker", maxUsers }),
  });
  expect(res.status).toBe(201);
  const { sessionId, sessionToken } = (await res.json()) as { sessionId: string; sessionToken: string };
  const row = await h.pool.query("SELECT resource_name FROM container_sessions WHERE id = $1", [sessionId]);
  expect(row.rows[0].resource_name).toBeTruthy(); // the sessions API projected it into the cluster
  return { sessionId, sessionToken, resourceName: row.rows[0].resource_name as string };
};
const containerSession = async (name: string) =>
  (await custom.getNamespacedCustomObject({
    ...ContainerSessionResource,
    namespace: org.slug,
    name,
  })) as ContainerSession;

it("the cluster follows a seat unassignment: users leave, workstation sessions end, the Workstation loses its user", async () => {
  const lic = await grantLicense(h.pool, h.clock.now(), {
    organization: org.slug,
    seats: 3,
    workstations: 1,
  });
  await h.deps.kube!.syncLicense(lic.id);
  const [bob, carol] = [org.people.member, org.people.viewer];
  for (const p of [bob, carol]) {
    const seat = await callAs(
      h.url,
      org.people.admin,
      "POST",
      `/organizations/${org.slug}/licenses/${lic.id}/seats`,
      {
        userId: p.userId,
      },
    );
    expect(seat.status).toBe(201);
  }
  const ws = lic.workstations[0]!;
  expect(
    (
      await callAs(h.url, org.people.admin, "POST", `/organizations/${org.slug}/workstations/${ws}/assign`, {
        userId: bob.userId,
      })
    ).status,
  ).toBe(200);

  const shared = await validate(lic.key, "shared", 4);
  for (const user of [bob.email, carol.email])
    expect((await post("/v1/sessions/users/join", { user }, shared.sessionToken)).status).toBe(200);
  expect((await containerSession(shared.resourceName)).status?.users?.map((u) => u.user)).toEqual([
    bob.email,
    carol.email,
  ]);
  // A session admitted through bob's workstation identity (ADR 0151 principal; the identity-token path has
  // its own tests — here only its principal matters).
  const fromWs = await validate(lic.key, "bobs-ws", 1);
  await h.pool.query("UPDATE container_sessions SET principal = $2 WHERE id = $1", [
    fromWs.sessionId,
    `workstation:${org.slug}/${ws}`,
  ]);

  const removed = await callAs(
    h.url,
    org.people.admin,
    "DELETE",
    `/organizations/${org.slug}/licenses/${lic.id}/seats/${bob.userId}`,
  );
  expect(removed.status).toBe(204);

  expect((await containerSession(shared.resourceName)).status?.users?.map((u) => u.user)).toEqual([
    carol.email,
  ]);
  expect((await containerSession(fromWs.resourceName)).status).toMatchObject({
    state: "terminated",
    reason: "SeatUnassigned",
  });
  const workstation = (await custom.getNamespacedCustomObject({
    ...WorkstationResource,
    namespace: org.slug,
    name: ws,
  })) as Workstation;
  expect(workstation.spec.user).toBeUndefined();
  expect(workstation.spec.desiredState).toBe("Stopped");
  // The container learns it at its next heartbeat: its session is over.
  const heartbeat = await post("/v1/sessions/heartbeat", {}, fromWs.sessionToken);
  expect(heartbeat.body).toMatchObject({ status: "expired", message: "session terminated (SeatUnassigned)" });
  const row = await h.pool.query("SELECT state, reason FROM container_sessions WHERE id = $1", [
    fromWs.sessionId,
  ]);
  expect(row.rows[0]).toEqual({ state: "terminated", reason: "SeatUnassigned" });

  // Removed from the subscription and past its delete_after: billing deletes the resource.
  await h.pool.query(
    "UPDATE provisioned_workstations SET removal_requested_at = $2, delete_after = $2 WHERE name = $1",
    [ws, h.clock.now()],
  );
  await h.deps.kube!.syncLicense(lic.id);
  await expect(
    custom.getNamespacedCustomObject({ ...WorkstationResource, namespace: org.slug, name: ws }),
  ).rejects.toThrow();
  // Billing's role covered every call it made (patching and deleting Workstations included).
  expect(kube.deniedRequests()).toEqual([]);
});
