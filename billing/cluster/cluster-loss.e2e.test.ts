/**
 * Issue 12 item 2: the Kubernetes API server loses every object (an etcd restore, an API server that lost
 * its state) under a running journey — a paid license with a running workstation and a container sending
 * heartbeats. The API test server is stopped and a new, empty one starts on the same port (plain http, as
 * the clients were configured). Postgres is the truth: no heartbeat is told `expired`, billing re-projects
 * the License, the Workstation and the ContainerSession promptly, and the operator neither stops nor
 * deletes the customer's workstation; it adopts it and reports it Ready again.
 */
import { CustomObjectsApi, type KubeConfig } from "@kubernetes/client-node";
import { pino } from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  type ContainerSession,
  ContainerSessionResource,
  type License,
  LicenseResource,
  type Workstation,
  WorkstationResource,
} from "../../crds/types.js";
import { systemClock } from "../../lib/clock.js";
import { createWorkstationsGateway, type WorkstationsGateway } from "../../operator/gcp/workstations.js";
import { createOperator, type Operator } from "../../operator/operator.js";
import { type FakeWorkstations, startFakeWorkstations } from "../../test-support/fake-workstations/index.js";
import { type KubeApiServer, startKubeApiServer } from "../../test-support/kube-apiserver/index.js";
import { waitFor } from "../../test-support/wait.js";
import { createGrantedLicense } from "../admin/actions.js";
import { withTransaction } from "../db/tx.js";
import { KubeSessionCluster } from "../sessions/cluster.js";
import { type SessionsHarness, startSessionsHarness } from "../sessions/test-harness.js";
import { KubeClusterFeed } from "./feed.js";
import { licenseResourceName } from "./projection.js";
import { type ClusterWatchdog, startClusterWatchdog } from "./watchdog.js";

const CLUSTER = "projects/coditect-test/locations/us-central1/workstationClusters/coditect-ws";
const ORG = "acme-loss";
const quiet = pino({ level: "silent" });
let kube: KubeApiServer;
let port: number;
let kc: KubeConfig;
let fake: FakeWorkstations;
let gateway: WorkstationsGateway;
let h: SessionsHarness;
let operator: Operator;
let watchdog: ClusterWatchdog;

const kinds = {
  license: { group: LicenseResource.group, version: LicenseResource.version, plural: LicenseResource.plural },
  workstation: {
    group: WorkstationResource.group,
    version: WorkstationResource.version,
    plural: WorkstationResource.plural,
  },
  session: {
    group: ContainerSessionResource.group,
    version: ContainerSessionResource.version,
    plural: ContainerSessionResource.plural,
  },
};

async function get<T>(kind: keyof typeof kinds, name: string): Promise<T | null> {
  try {
    return (await kc
      .makeApiClient(CustomObjectsApi)
      .getNamespacedCustomObject({ ...kinds[kind], namespace: ORG, name })) as T;
  } catch (error) {
    if ((error as { code?: number }).code === 404) return null;
    throw error;
  }
}

beforeAll(async () => {
  process.env.METADATA_SERVER_DETECTION = "none";
  kube = await startKubeApiServer({ crdDirs: ["crds"], bookmarkIntervalMs: 1_000 });
  port = Number(new URL(kube.url).port);
  kc = kube.kubeConfig();
  fake = await startFakeWorkstations({ operationPollsToComplete: 1 });
  fake.seed({
    clusters: [{ name: CLUSTER }],
    configs: [{ name: `${CLUSTER}/workstationConfigs/coditect-standard` }],
  });
  gateway = createWorkstationsGateway({ client: fake.client() });
  h = await startSessionsHarness(
    systemClock,
    { cluster: new KubeSessionCluster(kc, { budgetMs: 1_500, attemptTimeoutMs: 500 }) },
    "cluster_loss",
  );
  const feed = new KubeClusterFeed(kc, h.pool, quiet);
  // Every 2 s: prompt, and slower than the operator's reaction to a watch event (the second test).
  watchdog = startClusterWatchdog({ ...h.deps, kube: feed }, 2_000);
  operator = createOperator({
    kubeConfig: kc,
    gateway,
    clock: systemClock,
    logger: quiet,
    clusterName: CLUSTER,
    policy: { tierConfigs: { standard: "coditect-standard" }, operationPollMs: 100, operationRetryMs: 500 },
    leaderElection: false,
    relistPeriodMs: 2_000,
    rateLimiter: { baseDelayMs: 20, maxDelayMs: 1_000 },
  });
  await operator.manager.start();
}, 60_000);

afterAll(async () => {
  await watchdog?.stop();
  await operator?.manager.stop();
  await gateway?.close();
  await fake?.stop();
  await h?.close();
  await kube?.stop();
});

describe("the API server loses every object under a running journey", { timeout: 120_000 }, () => {
  it("sessions live on, objects are re-projected, the workstation is never stopped", async () => {
    // The journey: a license with one workstation, projected; the workstation Ready; a container admitted.
    const { license, key } = await withTransaction(h.pool, (tx) =>
      createGrantedLicense(
        tx,
        {
          organization: ORG,
          customerEmail: "dev@acme.test",
          tier: "pro",
          provisioningType: "pilot",
          durationDays: 30,
          seats: 1,
          workstations: 1,
          workstationTier: "standard",
        },
        { actor: "admin", action: "license.created", now: new Date(), paymentGraceMs: 0 },
      ),
    );
    await watchdog.runOnce();
    const wsName = (
      await h.pool.query<{ name: string }>(
        "SELECT name FROM provisioned_workstations WHERE license_id = $1",
        [license.id],
      )
    ).rows[0]!.name;
    const isReady = async () =>
      (await get<Workstation>("workstation", wsName))?.status?.conditions?.some(
        (c) => c.type === "Ready" && c.status === "True",
      ) ?? false;
    await waitFor("the workstation Ready", isReady, { timeoutMs: 45_000 });
    const v = await h.post("/v1/sessions/validate", {
      licenseKey: key,
      containerId: "box-loss",
      containerType: "docker",
    });
    expect(v.status).toBe(201);
    const sessionName = `cs-${String(v.body.sessionId).toLowerCase()}`;

    // Heartbeats keep coming throughout, as a container's agent sends them.
    const answers: { status: number; body: { status?: string } }[] = [];
    let beating = true;
    const beats = (async () => {
      while (beating) {
        answers.push(await h.post("/v1/sessions/heartbeat", {}, v.body.sessionToken));
        await new Promise((r) => setTimeout(r, 200));
      }
    })();

    // The API server loses its state: a new, empty one on the same port.
    await kube.stop();
    kube = await startKubeApiServer({ port, crdDirs: ["crds"], bookmarkIntervalMs: 1_000 });
    expect(await get<License>("license", licenseResourceName(license.id))).toBeNull();

    await waitFor(
      "License, Workstation and ContainerSession re-projected",
      async () =>
        (await get<License>("license", licenseResourceName(license.id))) !== null &&
        (await get<Workstation>("workstation", wsName)) !== null &&
        (await get<ContainerSession>("session", sessionName))?.status?.state === "active",
      { timeoutMs: 30_000 },
    );
    await waitFor("the workstation Ready again", isReady, { timeoutMs: 45_000 });
    const beatsAfter = answers.length;
    await waitFor("two more heartbeats", () => answers.length >= beatsAfter + 2, { timeoutMs: 10_000 });
    beating = false;
    await beats;

    expect(answers.filter((a) => a.body.status === "expired")).toEqual([]);
    expect(answers.filter((a) => a.status === 500)).toEqual([]);
    expect(answers.at(-1)).toMatchObject({ status: 200, body: { status: "ok" } });
    const row = await h.pool.query("SELECT state FROM container_sessions WHERE id = $1", [v.body.sessionId]);
    expect(row.rows[0].state).toBe("active");
    // The customer's workstation ran throughout: never stopped, deleted or created twice.
    expect(fake.state.calls("StopWorkstation")).toBe(0);
    expect(fake.state.calls("DeleteWorkstation")).toBe(0);
    expect(fake.state.calls("CreateWorkstation")).toBe(1);
    expect(fake.state.workstations().map((w) => w.state)).toEqual(["STATE_RUNNING"]);
  });

  it("a License lost on its own is unknown to the operator, not revoked: nothing stops, and it comes back", async () => {
    const license = (
      await h.pool.query<{ id: string }>("SELECT id FROM licenses WHERE organization = $1", [ORG])
    ).rows[0]!;
    const wsName = (
      await h.pool.query<{ name: string }>(
        "SELECT name FROM provisioned_workstations WHERE license_id = $1",
        [license.id],
      )
    ).rows[0]!.name;
    const licensed = async () =>
      (await get<Workstation>("workstation", wsName))?.status?.conditions?.find((c) => c.type === "Licensed");
    expect((await licensed())?.status).toBe("True");
    const stopsBefore = fake.state.calls("StopWorkstation");

    await kc.makeApiClient(CustomObjectsApi).deleteNamespacedCustomObject({
      ...kinds.license,
      namespace: ORG,
      name: licenseResourceName(license.id),
    });
    const seen = await waitFor("the operator saw the License go", async () => {
      const c = await licensed();
      return c && c.status !== "True" ? c : null;
    });
    expect(seen).toMatchObject({ status: "Unknown", reason: "LicenseNotFound" });

    await waitFor(
      "the License re-projected and Licensed again",
      async () => (await licensed())?.status === "True",
      {
        timeoutMs: 30_000,
      },
    );
    expect(fake.state.calls("StopWorkstation")).toBe(stopsBefore);
    expect(fake.state.workstations().map((w) => w.state)).toEqual(["STATE_RUNNING"]);
    const ready = (await get<Workstation>("workstation", wsName))?.status?.conditions?.find(
      (c) => c.type === "Ready",
    );
    expect(ready?.status).toBe("True");
  });
});
