/**
 * The ContainerSession controllers on the operator runtime, together with the real sessions API, on the
 * Kubernetes API test server and real PostgreSQL: revocation terminates every session, expiry frees the
 * seat (and License status.activeSessions follows), a downgrade terminates the newest sessions, ended
 * sessions are deleted after retention. Real time with a shortened policy; polling with timeouts.
 */
import { CustomObjectsApi, type KubeConfig, PatchStrategy, setHeaderOptions } from "@kubernetes/client-node";
import { pino } from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { KubeClusterFeed } from "../../billing/cluster/feed.js";
import { licenseResourceName } from "../../billing/cluster/projection.js";
import { KubeSessionCluster } from "../../billing/sessions/cluster.js";
import { type SessionsHarness, startSessionsHarness } from "../../billing/sessions/test-harness.js";
import {
  type ContainerSession,
  ContainerSessionResource,
  type License,
  LicenseResource,
} from "../../crds/types.js";
import { systemClock } from "../../lib/clock.js";
import type { KubeClient } from "../../lib/kube/client.js";
import { type KubeApiServer, startKubeApiServer } from "../../test-support/kube-apiserver/index.js";
import { waitFor } from "../../test-support/wait.js";
import { Manager } from "../runtime/manager.js";
import { operatorKubeClient } from "../testing/kube-client.js";
import { registerContainerSessionControllers } from "./register.js";

const POLICY = { expiryMs: 2_000, warningMs: 1_000, endedRetentionMs: 1_500, offlineGraceMs: 2_500 };
const quiet = pino({ level: "silent" });
let kube: KubeApiServer;
let kc: KubeConfig;
/** The operator's own client (lib/kube); `kc` stays the independent one that checks the server. */
let opKube: KubeClient;
let api: CustomObjectsApi;
let h: SessionsHarness;
let manager: Manager;
let feed: KubeClusterFeed;
const sessionsApi = {
  group: ContainerSessionResource.group,
  version: ContainerSessionResource.version,
  plural: ContainerSessionResource.plural,
};

const listSessions = async (namespace: string) =>
  ((await api.listNamespacedCustomObject({ ...sessionsApi, namespace })) as { items: ContainerSession[] })
    .items;
const getLicense = async (namespace: string, id: string) =>
  (await api.getNamespacedCustomObject({
    group: LicenseResource.group,
    version: LicenseResource.version,
    plural: LicenseResource.plural,
    namespace,
    name: licenseResourceName(id),
  })) as License;

beforeAll(async () => {
  kube = await startKubeApiServer({ crdDirs: ["crds"] });
  kc = kube.kubeConfig();
  opKube = operatorKubeClient(kube);
  api = kc.makeApiClient(CustomObjectsApi);
  // Billing's session expiry matches the operator's shortened one, so both sides agree on "live".
  h = await startSessionsHarness(
    systemClock,
    {
      cluster: new KubeSessionCluster(kc),
      timing: { sessionExpiryMs: POLICY.expiryMs, heartbeatIntervalMs: 500 },
    },
    "sessions_operator",
  );
  feed = new KubeClusterFeed(kc, h.pool, quiet);
  manager = new Manager({
    kubeClient: opKube,
    clock: systemClock,
    logger: quiet,
    leaderElection: false,
    relistPeriodMs: 5_000,
  });
  registerContainerSessionControllers(manager, {
    clock: systemClock,
    logger: quiet,
    policy: POLICY,
    rateLimiter: { baseDelayMs: 20, maxDelayMs: 500 },
  });
  await manager.start();
});
afterAll(async () => {
  await manager?.stop();
  await opKube?.close();
  await h?.close();
  await kube?.stop();
});

async function licensedTenant(tier: "starter" | "pro", organization: string) {
  const lic = await h.createLicense(tier, { organization });
  await feed.syncLicense(lic.id);
  return lic;
}
const validate = (key: string, containerId: string) =>
  h.post("/v1/sessions/validate", { licenseKey: key, containerId, containerType: "docker" });

describe("ContainerSession reconciliation", () => {
  it("revocation terminates every session of the license and the License count drops to 0", async () => {
    const lic = await licensedTenant("pro", "op-revoke");
    const admitted = await Promise.all([1, 2, 3].map((i) => validate(lic.key, `r-${i}`)));
    expect(admitted.map((r) => r.status)).toEqual([201, 201, 201]);
    await waitFor(
      "activeSessions = 3",
      async () => (await getLicense("op-revoke", lic.id)).status?.activeSessions === 3,
    );

    await h.revokeLicense(lic.id);
    await feed.syncLicense(lic.id);
    const ended = await waitFor("all terminated", async () => {
      const items = await listSessions("op-revoke");
      return items.every((s) => s.status?.state === "terminated") && items;
    });
    expect(ended.map((s) => s.status?.reason)).toEqual([
      "LicenseRevoked",
      "LicenseRevoked",
      "LicenseRevoked",
    ]);
    await waitFor(
      "activeSessions = 0",
      async () => (await getLicense("op-revoke", lic.id)).status?.activeSessions === 0,
    );
    for (const r of admitted)
      expect((await h.post("/v1/sessions/heartbeat", {}, r.body.sessionToken)).body.status).toBe("expired");
  });

  it("a session without heartbeats expires, frees its seat, and is deleted after retention once audited", async () => {
    const lic = await licensedTenant("starter", "op-expire");
    const first = await validate(lic.key, "e-1");
    const name = `cs-${first.body.sessionId}`;
    await waitFor(
      "expired",
      async () =>
        (await listSessions("op-expire")).find((s) => s.metadata?.name === name)?.status?.state === "expired",
    );
    const expired = (await listSessions("op-expire")).find((s) => s.metadata?.name === name)!;
    expect(expired.status).toMatchObject({ reason: "HeartbeatMissed" });
    expect(expired.status?.conditions?.find((c) => c.type === "Ready")).toMatchObject({
      status: "False",
      reason: "HeartbeatMissed",
    });
    await waitFor(
      "audit annotation",
      async () =>
        (await listSessions("op-expire")).find((s) => s.metadata?.name === name)?.metadata?.annotations?.[
          "coditect.ai/audit-ref"
        ],
    );
    await waitFor(
      "activeSessions = 0",
      async () => (await getLicense("op-expire", lic.id)).status?.activeSessions === 0,
    );
    expect((await validate(lic.key, "e-2")).status).toBe(201);
    await waitFor(
      "deleted after retention",
      async () => !(await listSessions("op-expire")).some((s) => s.metadata?.name === name),
    );
  });

  it("a downgrade terminates the newest sessions beyond the new limit", async () => {
    const lic = await licensedTenant("pro", "op-downgrade");
    const order: string[] = [];
    const tokens: string[] = [];
    // The containers heartbeat throughout, so only the downgrade can end their sessions.
    // Their answers are not asserted, but each is awaited before the test ends (the harness closes after).
    const inFlight = new Set<Promise<unknown>>();
    const heartbeats = setInterval(() => {
      for (const token of tokens) {
        const sent = h.post("/v1/sessions/heartbeat", {}, token).finally(() => inFlight.delete(sent));
        inFlight.add(sent);
      }
    }, 400);
    try {
      for (const i of [1, 2, 3, 4]) {
        const r = await validate(lic.key, `d-${i}`);
        order.push(`cs-${r.body.sessionId}`);
        tokens.push(r.body.sessionToken);
        // Distinct creation times (the API server stamps whole seconds).
        if (i < 4) await new Promise((resolve) => setTimeout(resolve, 1_050));
      }
      // What billing writes after an admin lowers maxContainers (the License spec is billing's).
      await api.patchNamespacedCustomObject(
        {
          group: LicenseResource.group,
          version: LicenseResource.version,
          plural: LicenseResource.plural,
          namespace: "op-downgrade",
          name: licenseResourceName(lic.id),
          body: { spec: { maxContainers: 2 } },
        },
        setHeaderOptions("Content-Type", PatchStrategy.MergePatch),
      );
      const byName = await waitFor("two terminated", async () => {
        const items = await listSessions("op-downgrade");
        const terminated = items.filter((s) => s.status?.state === "terminated");
        return terminated.length === 2 && new Map(items.map((s) => [s.metadata!.name!, s]));
      });
      expect(order.map((n) => byName.get(n)?.status?.reason ?? byName.get(n)?.status?.state)).toEqual([
        expect.anything(),
        expect.anything(),
        "OverQuota",
        "OverQuota",
      ]);
      expect(byName.get(order[0]!)?.status?.state).not.toBe("terminated");
      expect(byName.get(order[1]!)?.status?.state).not.toBe("terminated");
    } finally {
      clearInterval(heartbeats);
      await Promise.allSettled([...inFlight]);
    }
  });
});
