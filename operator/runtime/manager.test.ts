/**
 * The manager's shared machinery against the Kubernetes API test server: informer list/watch and
 * restarts, probes and metrics, leader election handover, and the controller's retry/requeue contract.
 */
import { randomBytes } from "node:crypto";
import { CoordinationV1Api, CoreV1Api, type KubeConfig } from "@kubernetes/client-node";
import { pino } from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CRD_DIR } from "../../crds/load.js";
import { type License, LicenseResource } from "../../crds/types.js";
import { ManualClock, systemClock } from "../../lib/clock.js";
import type { KubeClient } from "../../lib/kube/client.js";
import { type KubeApiServer, startKubeApiServer } from "../../test-support/kube-apiserver/index.js";
import { eventually } from "../testing/harness.js";
import { operatorKubeClient } from "../testing/kube-client.js";
import { TerminalError } from "./controller.js";
import type { ResourceClient } from "./kube.js";
import { Manager } from "./manager.js";

const logger = pino({ level: "silent" });
let kube: KubeApiServer;
let kc: KubeConfig;
/** The operator's client (lib/kube); `kc` stays the independent one that checks the server. */
let opKube: KubeClient;
let licenses: ResourceClient<License>;
const managers: Manager[] = [];

beforeAll(async () => {
  kube = await startKubeApiServer({ crdDirs: [CRD_DIR], bookmarkIntervalMs: 1_000 });
  kc = kube.kubeConfig();
  opKube = operatorKubeClient(kube);
  licenses = opKube.resource<License>(LicenseResource);
  await kc.makeApiClient(CoreV1Api).createNamespace({ body: { metadata: { name: "ops" } } });
});

afterAll(async () => {
  for (const m of managers) await m.stop();
  await opKube?.close();
  await kube?.stop();
});

function manager(options: Partial<ConstructorParameters<typeof Manager>[0]> = {}): Manager {
  const m = new Manager({
    kubeClient: opKube,
    clock: systemClock,
    logger,
    leaderElection: false,
    ...options,
  });
  managers.push(m);
  return m;
}

/** Creates a License, retrying while injected faults answer (409 = an earlier attempt got through). */
async function createLicense(namespace: string, name: string): Promise<void> {
  await eventually(`License ${namespace}/${name} created`, async () => {
    try {
      await createLicenseOnce(namespace, name);
    } catch (error) {
      if ((error as { code?: number }).code !== 409) throw error;
    }
    return true;
  });
}

async function createLicenseOnce(namespace: string, name: string): Promise<void> {
  const api = kc.makeApiClient(CoreV1Api);
  await api.createNamespace({ body: { metadata: { name: namespace } } }).catch(() => undefined);
  await import("@kubernetes/client-node").then(({ CustomObjectsApi }) =>
    kc.makeApiClient(CustomObjectsApi).createNamespacedCustomObject({
      group: "coditect.ai",
      version: "v1alpha1",
      plural: "licenses",
      namespace,
      body: {
        apiVersion: "coditect.ai/v1alpha1",
        kind: "License",
        metadata: { name, namespace, labels: { "app.kubernetes.io/managed-by": "coditect-billing" } },
        spec: {
          licenseId: crypto.randomUUID(),
          organization: namespace,
          tier: "pro",
          maxContainers: 5,
          seats: 1,
          expiresAt: null,
          provisioningType: "internal",
          state: "active",
        },
      },
    }),
  );
}

describe("controller on the manager", () => {
  it("reconciles every object, retries failures with backoff until they succeed, honours requeueAfter", async () => {
    const ns = `m-${randomBytes(3).toString("hex")}`;
    const m = manager();
    const informer = m.informer(licenses);
    const attempts = new Map<string, number>();
    const requeued: string[] = [];
    m.addController<License>({
      name: "license-test",
      for: informer,
      workers: 2,
      rateLimiter: { baseDelayMs: 5, maxDelayMs: 100 },
      reconciler: {
        async reconcile(key) {
          if (!key.startsWith(`${ns}/`)) return {};
          const n = (attempts.get(key) ?? 0) + 1;
          attempts.set(key, n);
          if (key.endsWith("/flaky") && n < 4) throw new Error("transient");
          if (key.endsWith("/bad")) throw new TerminalError("invalid spec");
          if (key.endsWith("/later") && n === 1) return { requeueAfterMs: 50 };
          if (key.endsWith("/later")) requeued.push(key);
          return {};
        },
      },
    });
    await m.start();
    expect(await m.whenLeading()).toBe(true);
    for (const name of ["ok", "flaky", "bad", "later"]) await createLicense(ns, name);
    await eventually("flaky succeeded", () => attempts.get(`${ns}/flaky`) === 4);
    await eventually("later requeued", () => requeued.length === 1);
    expect(attempts.get(`${ns}/ok`)).toBe(1);
    expect(attempts.get(`${ns}/bad`)).toBe(1); // terminal: not retried
    const text = await m.metrics.registry.metrics();
    expect(text).toMatch(
      /controller_runtime_reconcile_total\{controller="license-test",result="error"\} [4-9]/,
    );
    expect(text).toMatch(/controller_runtime_reconcile_errors_total\{controller="license-test"\} [4-9]/);
    expect(text).toContain(
      'controller_runtime_reconcile_total{controller="license-test",result="requeue_after"} 1',
    );
    expect(text).toContain("controller_runtime_reconcile_time_seconds_bucket");
    expect(text).toContain('workqueue_depth{name="license-test",controller="license-test"}');
    await m.stop();
  });
});

describe("probes", () => {
  it("/readyz waits for caches, /metrics serves, /healthz fails once watches are silent too long", async () => {
    const clock = new ManualClock(new Date());
    const m = manager({ clock, probePort: 0, watchSilenceMs: 60_000 });
    m.informer(licenses);
    await m.start();
    const url = `http://127.0.0.1:${m.probePort}`;
    await eventually("ready", async () => (await fetch(`${url}/readyz`)).status === 200);
    expect((await fetch(`${url}/healthz`)).status).toBe(200);
    const metrics = await fetch(`${url}/metrics`);
    expect(metrics.status).toBe(200);
    expect(await metrics.text()).toContain("workqueue_depth");
    clock.advance(61_000);
    const unhealthy = await fetch(`${url}/healthz`);
    expect(unhealthy.status).toBe(500);
    expect(await unhealthy.text()).toMatch(
      /watches failed: no answer from the API server for over 60000 ms on licenses/,
    );
    expect((await fetch(`${url}/nope`)).status).toBe(404);
    await m.stop();
  });
});

describe("the client's rate limit (ADR 0262)", () => {
  it("is the KubeClient's: requests over the burst wait, and /metrics counts them", async () => {
    // The bucket refills by the injected clock, which stands still: exactly the burst passes at once.
    const limited = operatorKubeClient(kube, { rateLimit: { qps: 100, burst: 2 }, clock: new ManualClock() });
    try {
      const m = manager({ kubeClient: limited });
      const client = m.client<License>(LicenseResource);
      for (let i = 0; i < 4; i++) await client.list({ namespace: "ops" });
      expect(limited.throttled).toBe(2); // the 3rd and 4th waited for tokens
      const text = await m.metrics.registry.metrics();
      expect(text).toContain("coditect_kube_client_throttled_total 2");
    } finally {
      await limited.close();
    }
  });
});

describe("informer resilience", () => {
  it("stops while its watch is still connecting (a stop must not wait for the relist period)", async () => {
    const m = manager({ relistPeriodMs: 600_000 });
    const informer = m.informer(licenses);
    await m.start();
    await informer.waitForSync(); // listed; the watch request is now being opened
    await m.stop(); // would hang for the 10-minute relist period (failing on the test timeout) if not ended
    expect(m.state).toBe("stopped");
  });

  it("keeps the cache right through dropped watches, 429s and 500s", async () => {
    const ns = `i-${randomBytes(3).toString("hex")}`;
    const m = manager({ relistPeriodMs: 60_000 });
    const informer = m.informer(licenses);
    await m.start();
    await informer.waitForSync();
    const listsAfterSync = informer.lists;
    await createLicense(ns, "one");
    await eventually("one cached", () => informer.get(`${ns}/one`));
    kube.faults.failNext(3, 500);
    kube.faults.dropWatches("reset");
    await createLicense(ns, "two");
    await eventually("two cached after 500s", () => informer.get(`${ns}/two`));
    kube.faults.failNext(3, 429, 0);
    kube.faults.dropWatches();
    await createLicense(ns, "three");
    await eventually("three cached after 429s", () => informer.get(`${ns}/three`));
    expect(informer.restarts).toBeGreaterThan(0);
    expect(informer.lists).toBeGreaterThan(listsAfterSync);
    await m.stop();
  });

  it("relists after 410 Gone when the resume point fell out of the watch history", async () => {
    const small = await startKubeApiServer({ crdDirs: [CRD_DIR], watchHistorySize: 2 });
    const skc = small.kubeConfig();
    const smallKube = operatorKubeClient(small);
    const client = smallKube.resource<License>(LicenseResource);
    const m = new Manager({ kubeClient: smallKube, clock: systemClock, logger, leaderElection: false });
    const informer = m.informer(client);
    try {
      await m.start();
      await informer.waitForSync();
      small.faults.holdWatches(true); // the re-watch arrives only after many writes
      small.faults.dropWatches();
      await skc.makeApiClient(CoreV1Api).createNamespace({ body: { metadata: { name: "g" } } });
      const { CustomObjectsApi } = await import("@kubernetes/client-node");
      const api = skc.makeApiClient(CustomObjectsApi);
      for (let i = 0; i < 6; i++) {
        await api.createNamespacedCustomObject({
          group: "coditect.ai",
          version: "v1alpha1",
          plural: "licenses",
          namespace: "g",
          body: {
            apiVersion: "coditect.ai/v1alpha1",
            kind: "License",
            metadata: {
              name: `l${i}`,
              namespace: "g",
              labels: { "app.kubernetes.io/managed-by": "coditect-billing" },
            },
            spec: {
              licenseId: crypto.randomUUID(),
              organization: "g",
              tier: "pro",
              maxContainers: 5,
              seats: 1,
              expiresAt: null,
              provisioningType: "internal",
              state: "active",
            },
          },
        });
      }
      small.faults.holdWatches(false);
      await eventually("all six cached", () => informer.size === 6);
      expect(informer.gone).toBeGreaterThan(0); // the resume point was gone: relisted, not restarted blind
    } finally {
      await m.stop();
      await smallKube.close();
      await small.stop();
    }
  });
});

describe("leader election", () => {
  it("one leader at a time; a graceful stop hands over at once; a dead leader's lease is taken after expiry", async () => {
    const lease = {
      namespace: "ops",
      name: "le-test",
      leaseDurationMs: 1_000,
      renewDeadlineMs: 700,
      retryPeriodMs: 100,
    };
    const a = manager({ leaderElection: { ...lease, identity: "a" } });
    const b = manager({ leaderElection: { ...lease, identity: "b" } });
    a.informer(licenses);
    b.informer(licenses);
    await a.start();
    expect(await a.whenLeading()).toBe(true);
    await b.start();
    const api = kc.makeApiClient(CoordinationV1Api);
    const holder = async () =>
      (await api.readNamespacedLease({ name: "le-test", namespace: "ops" })).spec?.holderIdentity;
    expect(await holder()).toBe("a");
    expect(b.isLeader).toBe(false);
    await a.stop(); // releases
    expect(await b.whenLeading()).toBe(true);
    expect(await holder()).toBe("b");

    const c = manager({ leaderElection: { ...lease, identity: "c" } });
    c.informer(licenses);
    await c.start();
    b.crash(); // dies holding the lease
    const started = Date.now();
    expect(await c.whenLeading()).toBe(true);
    expect(await holder()).toBe("c");
    expect(Date.now() - started).toBeGreaterThanOrEqual(300); // it had to wait for the lease to expire
    const transitions = (await api.readNamespacedLease({ name: "le-test", namespace: "ops" })).spec
      ?.leaseTransitions;
    expect(transitions).toBe(2);
  });
});
