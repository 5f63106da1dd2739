/**
 * ADR 0302: billing's shutdown writes what its status publisher holds. A heartbeat's status waits up to a
 * flush interval (5 s) before it reaches its ContainerSession (ADR 0270); a replica stopped by SIGTERM in
 * that interval writes it before its pool closes instead of dropping it with the process. The publisher's
 * counters are on /metrics meanwhile. billing runs as `npm run billing` does (billing/server.ts, its own
 * process) against a real PostgreSQL and the Kubernetes API test server.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { CustomObjectsApi } from "@kubernetes/client-node";
import pg from "pg";
import { pino } from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type ContainerSession, ContainerSessionResource } from "../../crds/types.js";
import { fakeStripePriceEnv } from "../../test-support/fake-stripe/index.js";
import { type KubeApiServer, startKubeApiServer } from "../../test-support/kube-apiserver/index.js";
import { testDatabase } from "../../test-support/postgres/index.js";
import { waitFor } from "../../test-support/wait.js";
import { createGrantedLicense } from "../admin/actions.js";
import { KubeClusterFeed } from "../cluster/feed.js";
import { loadConfig } from "../config.js";
import { withTransaction } from "../db/tx.js";
import { type BillingProcess, listeningPort, runBilling } from "../testing/process.js";

let kube: KubeApiServer;
let dir: string;
let pool: pg.Pool | undefined;
let billing: BillingProcess | undefined;
beforeAll(async () => {
  kube = await startKubeApiServer({ crdDirs: ["crds"] });
  dir = mkdtempSync(join(tmpdir(), "sessions-shutdown-"));
});
afterAll(async () => {
  billing?.child.kill("SIGKILL");
  await pool?.end();
  await kube.stop();
  rmSync(dir, { recursive: true, force: true });
});

const sessions = {
  group: ContainerSessionResource.group,
  version: ContainerSessionResource.version,
  plural: ContainerSessionResource.plural,
};

describe("billing's shutdown and the session status publisher (ADR 0302)", () => {
  it("SIGTERM writes the heartbeat status still waiting for its flush; /metrics showed it pending", async () => {
    const kc = kube.kubeConfig();
    const kubeconfig = join(dir, "kubeconfig.json");
    writeFileSync(kubeconfig, kc.exportConfig());
    const env = {
      PORT: "0",
      DATABASE_URL: await testDatabase("sessions_shutdown"),
      STRIPE_SECRET_KEY: "sk_test_shutdown",
      STRIPE_WEBHOOK_SECRET: "whsec_shutdown",
      ...fakeStripePriceEnv(),
      ADMIN_TOKEN: "shutdown-test-admin-token-0123456789abcdef",
      KUBECONFIG: kubeconfig,
    };
    billing = runBilling(env);
    const url = `http://127.0.0.1:${await listeningPort(billing)}`; // listening: migrations are applied
    pool = new pg.Pool({ connectionString: env.DATABASE_URL, max: 2 });
    const db = pool;
    const granted = await withTransaction(db, (tx) =>
      createGrantedLicense(
        tx,
        {
          organization: "shutdown-co",
          customerEmail: "ops@shutdown.test",
          tier: "pro",
          provisioningType: "internal",
          seats: 2,
          workstations: 0,
          maxContainers: 2,
        },
        {
          actor: "test",
          action: "license.created",
          now: new Date(),
          paymentGraceMs: loadConfig(env).paymentGraceMs,
        },
      ),
    );
    await new KubeClusterFeed(kc, db, pino({ level: "silent" })).syncLicense(granted.license.id);

    const validated = await fetch(`${url}/v1/sessions/validate`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ licenseKey: granted.key, containerId: "box-1", containerType: "docker" }),
    });
    expect(validated.status).toBe(201);
    const { sessionId, sessionToken } = (await validated.json()) as {
      sessionId: string;
      sessionToken: string;
    };
    const api = kc.makeApiClient(CustomObjectsApi);
    const read = async () =>
      (await api.getNamespacedCustomObject({
        ...sessions,
        namespace: "shutdown-co",
        name: `cs-${sessionId.toLowerCase()}`,
      })) as ContainerSession;
    await waitFor("the admitted session's resource", async () => (await read()).status?.state);

    const beat = await fetch(`${url}/v1/sessions/heartbeat`, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${sessionToken}` },
      body: JSON.stringify({ cpuPercent: 42, memoryBytes: 1024 }),
    });
    expect(beat.status).toBe(200);
    // Queued for the next flush (5 s away), not written yet.
    const metrics = await (await fetch(`${url}/metrics`)).text();
    expect(metrics).toMatch(/^billing_session_status_pending\{kind="status"\} 1$/m);
    expect(metrics).toMatch(/^billing_session_status_flushed_total \d+$/m);
    expect(metrics).toMatch(/^billing_session_status_failed_total 0$/m);
    expect(metrics).toMatch(/^billing_session_status_dropped_total 0$/m);
    expect((await read()).status?.lastReport).toBeUndefined();

    billing.child.kill("SIGTERM");
    expect(await billing.exited).toBe(0);
    expect((await read()).status).toMatchObject({
      state: "active",
      lastReport: { cpuPercent: 42, memoryBytes: 1024 },
    });
  }, 60_000);
});
