/**
 * The real entry point as a process: configuration errors exit 2 naming the variables; a configured
 * service migrates, serves, logs JSON and shuts down cleanly on SIGTERM.
 */
import { rmSync } from "node:fs";
import { afterAll, describe, expect, it } from "vitest";
import { CRD_DIR } from "../crds/load.js";
import { type FakeStripe, fakeStripePriceEnv, startFakeStripe } from "../test-support/fake-stripe/index.js";
import { startKubeApiServer } from "../test-support/kube-apiserver/index.js";
import { testDatabase } from "../test-support/postgres/index.js";
import { waitFor } from "../test-support/wait.js";
import { startTlsKubeFront, writeServiceAccountDir } from "./testing/pod-credentials.js";
import { runBilling } from "./testing/process.js";

const run = runBilling;

describe("billing/server.ts", () => {
  let fake: FakeStripe | undefined;
  afterAll(() => fake?.stop());

  it("exits 2 with a message naming every bad variable", async () => {
    const p = run({ ADMIN_TOKEN: "short", STRIPE_SECRET_KEY: "sk_test_x" });
    expect(await p.exited).toBe(2);
    expect(p.output()).toMatch(/STRIPE_WEBHOOK_SECRET: is required/);
    expect(p.output()).toMatch(/ADMIN_TOKEN: must be at least 32 characters/);
  });

  it("exits 1 naming the cause when the database is unreachable at start (no hanging half-started pod)", async () => {
    const p = run({
      PORT: "0",
      DATABASE_URL: "postgres://billing@127.0.0.1:1/billing",
      STRIPE_SECRET_KEY: "sk_test_server",
      STRIPE_WEBHOOK_SECRET: "whsec_server",
      ...fakeStripePriceEnv(),
      ADMIN_TOKEN: "server-test-admin-token-0123456789abcdef",
    });
    expect(await p.exited).toBe(1);
    expect(p.output()).toMatch(/billing failed to start:.*ECONNREFUSED/s);
  });

  it("DATABASE_MIGRATIONS=verify: refuses to serve a schema older than the code, naming what to run (ADR 0166)", async () => {
    const p = run({
      PORT: "0",
      DATABASE_URL: await testDatabase("billing_unmigrated"),
      DATABASE_MIGRATIONS: "verify",
      STRIPE_SECRET_KEY: "sk_test_server",
      STRIPE_WEBHOOK_SECRET: "whsec_server",
      ...fakeStripePriceEnv(),
      ADMIN_TOKEN: "server-test-admin-token-0123456789abcdef",
    });
    expect(await p.exited).toBe(1);
    expect(p.output()).toMatch(
      /lacks migrations 1, 2, 3.*run `npm run migrate` as the migration role first/s,
    );
  });

  it("serves on the configured database and drains on SIGTERM", async () => {
    fake = await startFakeStripe();
    const p = run({
      PORT: "0",
      DATABASE_URL: await testDatabase("billing_server"),
      STRIPE_SECRET_KEY: "sk_test_server",
      STRIPE_WEBHOOK_SECRET: "whsec_server",
      ...fakeStripePriceEnv(),
      ADMIN_TOKEN: "server-test-admin-token-0123456789abcdef",
      STRIPE_API_URL: fake.url,
    });
    try {
      const port = await waitFor("the listening log line", () => {
        const line = p
          .output()
          .split("\n")
          .find((l) => l.includes('"billing listening"'));
        return line ? (JSON.parse(line) as { port: number }).port : undefined;
      });
      expect(p.output()).toMatch(/no Kubernetes credentials: cluster feed disabled/);
      const ready = await fetch(`http://127.0.0.1:${port}/readyz`);
      expect(await ready.json()).toEqual({
        status: "ready",
        checks: { database: "ok", cluster: "disabled" },
      });
      p.child.kill("SIGTERM");
      expect(await p.exited).toBe(0);
      expect(p.output()).toMatch(/"message":"stopped"/);
    } finally {
      p.child.kill("SIGKILL");
    }
  }, 60_000);

  it("in a pod (only KUBERNETES_SERVICE_HOST/PORT and the service-account files) reaches the Kubernetes API", async () => {
    fake ??= await startFakeStripe();
    const kube = await startKubeApiServer({ crdDirs: [CRD_DIR] });
    const front = await startTlsKubeFront(kube.url);
    const saDir = writeServiceAccountDir("billing-pod-token", front.caPem, "coditect-billing");
    const p = run(
      {
        PORT: "0",
        DATABASE_URL: await testDatabase("billing_in_pod"),
        STRIPE_SECRET_KEY: "sk_test_server",
        STRIPE_WEBHOOK_SECRET: "whsec_server",
        ...fakeStripePriceEnv(),
        // As production: admins' Google identities, no break-glass token (ADR 0165).
        ADMIN_EMAILS: "admin@coditect.test",
        ADMIN_ID_TOKEN_AUDIENCES: "32555940559.apps.googleusercontent.com",
        STRIPE_API_URL: fake.url,
        KUBERNETES_SERVICE_HOST: front.host,
        KUBERNETES_SERVICE_PORT: String(front.port),
      },
      saDir,
    );
    try {
      const port = await waitFor("the listening log line", () => {
        const line = p
          .output()
          .split("\n")
          .find((l) => l.includes('"billing listening"'));
        return line ? (JSON.parse(line) as { port: number }).port : undefined;
      });
      expect(p.output()).toMatch(/"source":"in-cluster".*"cluster feed enabled"/);
      const ready = await fetch(`http://127.0.0.1:${port}/readyz`);
      expect(await ready.json()).toEqual({ status: "ready", checks: { database: "ok", cluster: "ok" } });
      expect(front.authorizations).toContain("Bearer billing-pod-token");
    } finally {
      p.child.kill("SIGKILL");
      await p.exited;
      await front.stop();
      await kube.stop();
      rmSync(saDir, { recursive: true, force: true });
    }
  }, 60_000);
});
