/**
 * License status (issue 12 item 14): decideLicenseStatus as a table, then the License status controller
 * on the operator runtime with the real sessions API, the Kubernetes API test server, real PostgreSQL and
 * real kubectl: `kubectl wait --for=condition=Ready lic/<name>` works, Ready follows revocation with one
 * Event per transition, and activeSessions follows the operator's own session terminations at once — the
 * relist period is ten minutes here, so a count that waited for the relist (the old lag) fails.
 */
import { execFile } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { CoreV1Api, CustomObjectsApi, type KubeConfig } from "@kubernetes/client-node";
import { pino } from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { KubeClusterFeed } from "../../billing/cluster/feed.js";
import { licenseResourceName } from "../../billing/cluster/projection.js";
import { KubeSessionCluster } from "../../billing/sessions/cluster.js";
import { type SessionsHarness, startSessionsHarness } from "../../billing/sessions/test-harness.js";
import { type License, LicenseResource } from "../../crds/types.js";
import { systemClock } from "../../lib/clock.js";
import { MANAGED_BY_BILLING, MANAGED_BY_LABEL } from "../../lib/domain.js";
import type { KubeClient } from "../../lib/kube/client.js";
import { type KubeApiServer, startKubeApiServer } from "../../test-support/kube-apiserver/index.js";
import { waitFor } from "../../test-support/wait.js";
import { registerContainerSessionControllers } from "../containersession/register.js";
import { Manager } from "../runtime/manager.js";
import { operatorKubeClient } from "../testing/kube-client.js";
import { decideLicenseStatus } from "./status.js";

const NOW = new Date("2026-12-06T05:00:00Z");

function license(spec: Partial<License["spec"]>, extra: Partial<License> = {}): License {
  return {
    apiVersion: "coditect.ai/v1alpha1",
    kind: "License",
    metadata: {
      name: "lic-a",
      namespace: "acme",
      generation: 3,
      labels: { [MANAGED_BY_LABEL]: MANAGED_BY_BILLING },
    },
    spec: {
      licenseId: "A",
      organization: "acme",
      tier: "pro",
      maxContainers: 3,
      seats: 1,
      expiresAt: null,
      provisioningType: "subscription",
      state: "active",
      stateReason: null,
      ...spec,
    } as License["spec"],
    ...extra,
  };
}

describe("decideLicenseStatus", () => {
  it.each([
    ["active", {}, "True", "LicenseActive"],
    ["past due (still entitles)", { state: "pastDue" }, "True", "LicensePastDue"],
    ["revoked", { state: "revoked", stateReason: "refund" }, "False", "LicenseRevoked"],
    ["suspended", { state: "suspended" }, "False", "LicenseSuspended"],
    [
      "past expiresAt while billing still says active",
      { expiresAt: "2026-12-06T04:59:59Z" },
      "False",
      "LicenseExpired",
    ],
  ] as const)("%s → Ready=%s (%s), observedGeneration set", (_, spec, status, reason) => {
    const out = decideLicenseStatus(license(spec as Partial<License["spec"]>), 2, NOW);
    expect(out.activeSessions).toBe(2);
    expect(out.observedGeneration).toBe(3);
    expect(out.conditions).toEqual([
      expect.objectContaining({ type: "Ready", status, reason, observedGeneration: 3 }),
    ]);
  });

  it("a License billing did not write is not Ready, saying so", () => {
    const handMade = license({}, { metadata: { name: "lic-x", namespace: "acme", generation: 1 } });
    expect(decideLicenseStatus(handMade, 0, NOW).conditions?.[0]).toMatchObject({
      status: "False",
      reason: "LicenseNotFromBilling",
    });
  });

  it("looks again when the License expires, and keeps lastTransitionTime while Ready holds", () => {
    const first = decideLicenseStatus(license({ expiresAt: "2026-12-07T00:00:00Z" }), 0, NOW);
    expect(first.requeueAt?.toISOString()).toBe("2026-12-07T00:00:00.000Z");
    const later = decideLicenseStatus(
      license({ expiresAt: "2026-12-07T00:00:00Z" }, { status: { conditions: first.conditions } }),
      1,
      new Date("2026-12-06T06:00:00Z"),
    );
    expect(later.conditions?.[0]?.lastTransitionTime).toBe(NOW.toISOString());
    expect(decideLicenseStatus(license({ state: "revoked" }), 0, NOW).requeueAt).toBeUndefined();
  });
});

const POLICY = { expiryMs: 2_000, warningMs: 1_000, endedRetentionMs: 60_000, offlineGraceMs: 2_500 };
const quiet = pino({ level: "silent" });
let kube: KubeApiServer;
let kc: KubeConfig;
/** The operator's own client (lib/kube); `kc` stays the independent one that checks the server. */
let opKube: KubeClient;
let h: SessionsHarness;
let manager: Manager;
let feed: KubeClusterFeed;
let home: string;

function kubectl(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const env = { PATH: process.env.PATH, HOME: home, KUBECONFIG: join(home, "kubeconfig") };
    execFile("kubectl", args, { env, timeout: 60_000 }, (error, stdout, stderr) => {
      resolve({ code: error ? (typeof error.code === "number" ? error.code : 1) : 0, stdout, stderr });
    });
  });
}

const getLicense = async (namespace: string, name: string) =>
  (await kc.makeApiClient(CustomObjectsApi).getNamespacedCustomObject({
    ...LicenseResource,
    namespace,
    name,
  })) as License;

beforeAll(async () => {
  kube = await startKubeApiServer({ crdDirs: ["crds"] });
  kc = kube.kubeConfig();
  opKube = operatorKubeClient(kube);
  home = mkdtempSync(join(tmpdir(), "license-status-"));
  kube.writeKubeconfig(join(home, "kubeconfig"));
  h = await startSessionsHarness(
    systemClock,
    {
      cluster: new KubeSessionCluster(kc),
      timing: { sessionExpiryMs: POLICY.expiryMs, heartbeatIntervalMs: 500 },
    },
    "license_status",
  );
  feed = new KubeClusterFeed(kc, h.pool, quiet);
  // Ten minutes: nothing in this test may depend on the safety relist.
  manager = new Manager({
    kubeClient: opKube,
    clock: systemClock,
    logger: quiet,
    leaderElection: false,
    relistPeriodMs: 600_000,
  });
  registerContainerSessionControllers(manager, {
    clock: systemClock,
    logger: quiet,
    policy: POLICY,
    rateLimiter: { baseDelayMs: 20, maxDelayMs: 500 },
  });
  await manager.start();
}, 60_000);
afterAll(async () => {
  await manager?.stop();
  await opKube?.close();
  await h?.close();
  await kube?.stop();
  if (home) rmSync(home, { recursive: true, force: true });
});

describe("License status on the cluster", { timeout: 90_000 }, () => {
  it("kubectl wait sees Ready; revocation makes it False with an Event; SESSIONS drops without a relist", async () => {
    const lic = await h.createLicense("pro", { organization: "lic-status" });
    await feed.syncLicense(lic.id);
    const name = licenseResourceName(lic.id);

    const ready = await kubectl(
      "wait",
      "--for=condition=Ready",
      `lic/${name}`,
      "-n",
      "lic-status",
      "--timeout=30s",
    );
    expect(ready.stderr).toBe("");
    expect(ready.stdout).toContain(`license.coditect.ai/${name} condition met`);
    const row = await kubectl(
      "get",
      "lic",
      name,
      "-n",
      "lic-status",
      "-o",
      "custom-columns=READY:.status.conditions[0].status",
    );
    expect(row.stdout).toContain("True");
    const printed = await kubectl("get", "lic", name, "-n", "lic-status");
    expect(printed.stdout.split("\n")[0]).toMatch(/\bREADY\b/);

    const admitted = await Promise.all(
      [1, 2].map((i) =>
        h.post("/v1/sessions/validate", {
          licenseKey: lic.key,
          containerId: `c-${i}`,
          containerType: "docker",
        }),
      ),
    );
    expect(admitted.map((r) => r.status)).toEqual([201, 201]);
    await waitFor(
      "activeSessions = 2",
      async () => (await getLicense("lic-status", name)).status?.activeSessions === 2,
    );

    await h.revokeLicense(lic.id);
    await feed.syncLicense(lic.id);
    // The operator terminates both sessions itself; the count follows its own writes, not the relist.
    await waitFor(
      "activeSessions = 0 after the operator terminated the sessions",
      async () => (await getLicense("lic-status", name)).status?.activeSessions === 0,
      { timeoutMs: 15_000 },
    );
    const notReady = await kubectl(
      "wait",
      "--for=condition=Ready=false",
      `lic/${name}`,
      "-n",
      "lic-status",
      "--timeout=30s",
    );
    expect(notReady.stdout).toContain("condition met");
    const revoked = await getLicense("lic-status", name);
    expect(revoked.status?.conditions).toEqual([
      expect.objectContaining({ type: "Ready", status: "False", reason: "LicenseRevoked" }),
    ]);
    expect(revoked.status?.observedGeneration).toBe(revoked.metadata?.generation);

    const events = await waitFor("two License events", async () => {
      const list = await kc.makeApiClient(CoreV1Api).listNamespacedEvent({
        namespace: "lic-status",
        fieldSelector: `involvedObject.name=${name}`,
      });
      const reasons = list.items.map((e) => e.reason);
      return reasons.includes("LicenseRevoked") && reasons;
    });
    expect(events.sort()).toEqual(["LicenseActive", "LicenseRevoked"]);
  });

  it("SESSIONS follows a session the operator ends itself, without waiting for that write's watch event", async () => {
    const lic = await h.createLicense("pro", { organization: "lic-own-write" });
    await feed.syncLicense(lic.id);
    const name = licenseResourceName(lic.id);
    const admitted = await h.post("/v1/sessions/validate", {
      licenseKey: lic.key,
      containerId: "quiet-1",
      containerType: "docker",
    });
    expect(admitted.status).toBe(201);
    await waitFor(
      "activeSessions = 1",
      async () => (await getLicense("lic-own-write", name)).status?.activeSessions === 1,
    );
    // From here the operator sees no watch event (writes still go through): its own "expired" write is all
    // it knows. The old License counter waited for that write's watch event, i.e. for the next relist.
    kube.faults.holdWatches(true);
    kube.faults.dropWatches();
    try {
      await waitFor(
        "activeSessions = 0 after the operator expired the session",
        async () => (await getLicense("lic-own-write", name)).status?.activeSessions === 0,
        { timeoutMs: 15_000 },
      );
    } finally {
      kube.faults.holdWatches(false);
    }
  });
});
