/**
 * Journey latencies through the sandbox (`npm start`, five processes, sandbox default intervals):
 * - purchase: from the signed checkout webhook (the fake Stripe completing the checkout, which sends
 *   `checkout.session.completed` at once) to the License resource visible, and to the Workstation Ready
 *   with a host;
 * - revocation: from the admin revoke call to each effect being visible — License spec revoked, Workstation
 *   stopped with access removed (AccessGranted False), ContainerSession terminated by the operator.
 * Baselines in the same run: one Kubernetes API GET and one billing /healthz call (medians).
 * Observed by polling every 25 ms, so every figure carries up to ~25 ms of observation delay.
 * Run: npm run bench -- journey     → bench/results/journey-latency.json
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { CustomObjectsApi, KubeConfig } from "@kubernetes/client-node";
import { revealLicenseKey, startCheckout } from "../billing/checkout/reveal-client.js";
import {
  type ContainerSession,
  ContainerSessionResource,
  type License,
  LicenseResource,
  type Workstation,
  WorkstationResource,
} from "../crds/types.js";
import { TUNABLE_DEFAULTS } from "../sandbox/plan.js";
import { httpJson } from "../sandbox/testing/commands.js";
import { launchSandbox } from "../sandbox/testing/launch.js";
import { waitFor } from "../test-support/wait.js";
import { writeBenchResult } from "./write-result.js";

const ROUNDS = Number(process.env.BENCH_JOURNEY_ROUNDS ?? 5);
const POLL_MS = 25;
const DEADLINE_MS = 120_000;

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const summary = (xs: number[]) => ({
  medianMs: Math.round(median(xs)),
  minMs: Math.round(Math.min(...xs)),
  maxMs: Math.round(Math.max(...xs)),
  samples: xs.map(Math.round),
});

/** Waits for `condition` and returns the moment it was first seen. */
async function until(what: string, condition: () => Promise<boolean>): Promise<number> {
  await waitFor(what, condition, { timeoutMs: DEADLINE_MS, intervalMs: POLL_MS });
  return performance.now();
}

async function main(): Promise<void> {
  const work = mkdtempSync(join(tmpdir(), "coditect-journey-bench-"));
  const sandbox = await launchSandbox({
    dataDir: join(work, "data"),
    env: { HOME: work, LOG_LEVEL: "warn" },
  });
  console.log(`sandbox ready in ${sandbox.readySeconds.toFixed(1)} s`);
  try {
    const kc = new KubeConfig();
    kc.loadFromFile(sandbox.kubeconfig);
    const custom = kc.makeApiClient(CustomObjectsApi);
    const list = async <T>(
      resource: typeof LicenseResource | typeof WorkstationResource | typeof ContainerSessionResource,
      namespace: string,
    ) => ((await custom.listNamespacedCustomObject({ ...resource, namespace })) as { items: T[] }).items;
    const admin = { authorization: `Bearer ${sandbox.adminToken}` };

    const toLicense: number[] = [];
    const toWorkstationReady: number[] = [];
    const revokeToLicense: number[] = [];
    const revokeToWorkstationStopped: number[] = [];
    const revokeToSessionTerminated: number[] = [];
    const revokeToAllEffects: number[] = [];

    for (let round = 0; round < ROUNDS; round++) {
      const org = `bench-${round}`;
      const checkout = await startCheckout(sandbox.urls.billing, {
        organization: org,
        customerEmail: `dev@${org}.test`,
        items: [
          { product: "pro", quantity: 1 },
          { product: "standard", quantity: 1 },
        ],
      });
      const sessionId = checkout.body.checkoutSessionId as string;
      const paid = performance.now();
      const completed = await fetch(`${sandbox.urls.stripe}/_fake/checkout_sessions/${sessionId}/complete`, {
        method: "POST",
      });
      if (!completed.ok) throw new Error(`completing ${sessionId}: HTTP ${completed.status}`);
      const licenseSeen = await until(
        "License",
        async () => (await list<License>(LicenseResource, org)).length > 0,
      );
      const ready = await until("Workstation Ready", async () => {
        const ws = (await list<Workstation>(WorkstationResource, org))[0];
        return (
          Boolean(ws?.status?.host) &&
          ws?.status?.conditions?.some((c) => c.type === "Ready" && c.status === "True") === true
        );
      });
      toLicense.push(licenseSeen - paid);
      toWorkstationReady.push(ready - paid);

      const success = await revealLicenseKey(sandbox.urls.billing, sessionId, checkout.cookie);
      const licenseId = (success.body.license as { id: string }).id;
      const validate = await httpJson(`${sandbox.urls.billing}/v1/sessions/validate`, {
        method: "POST",
        body: { licenseKey: success.body.licenseKey, containerId: `bench-${round}`, containerType: "docker" },
      });
      if (validate.status !== 201)
        throw new Error(`validate: HTTP ${validate.status} ${JSON.stringify(validate.body)}`);
      await until(
        "ContainerSession",
        async () => (await list<ContainerSession>(ContainerSessionResource, org)).length > 0,
      );

      const revokedAt = performance.now();
      const revoke = await httpJson(`${sandbox.urls.billing}/v1/admin/licenses/${licenseId}/revoke`, {
        method: "POST",
        headers: admin,
        body: { reason: "benchmark" },
      });
      if (revoke.status !== 200) throw new Error(`revoke: HTTP ${revoke.status}`);
      const seen: Record<string, number> = {};
      await until("every revocation effect", async () => {
        const now = performance.now();
        if (!seen.license && (await list<License>(LicenseResource, org))[0]?.spec.state === "revoked")
          seen.license = now;
        if (!seen.workstation) {
          const ws = (await list<Workstation>(WorkstationResource, org))[0];
          const access = ws?.status?.conditions?.find((c) => c.type === "AccessGranted");
          if (ws?.status?.state === "STATE_STOPPED" && access?.status === "False") seen.workstation = now;
        }
        if (
          !seen.session &&
          (await list<ContainerSession>(ContainerSessionResource, org))[0]?.status?.state === "terminated"
        )
          seen.session = now;
        return Boolean(seen.license && seen.workstation && seen.session);
      });
      revokeToLicense.push(seen.license! - revokedAt);
      revokeToWorkstationStopped.push(seen.workstation! - revokedAt);
      revokeToSessionTerminated.push(seen.session! - revokedAt);
      revokeToAllEffects.push(Math.max(seen.license!, seen.workstation!, seen.session!) - revokedAt);
      console.log(
        `round ${round}: webhook→Ready ${Math.round(ready - paid)} ms, revoke→all effects ${Math.round(revokeToAllEffects.at(-1)!)} ms`,
      );
    }

    const kubeRoundTrips: number[] = [];
    const billingHealth: number[] = [];
    for (let i = 0; i < 50; i++) {
      let t = performance.now();
      await custom.listNamespacedCustomObject({ ...LicenseResource, namespace: "bench-0" });
      kubeRoundTrips.push(performance.now() - t);
      t = performance.now();
      await (await fetch(`${sandbox.urls.billing}/healthz`)).arrayBuffer();
      billingHealth.push(performance.now() - t);
    }
    const kubeMs = median(kubeRoundTrips);
    const healthMs = median(billingHealth);
    const ratio = (xs: number[]) => ({
      perKubeRoundTrip: Math.round(median(xs) / kubeMs),
      perBillingHealthCall: Math.round(median(xs) / healthMs),
    });
    writeBenchResult("journey", "latency", {
      rounds: ROUNDS,
      pollIntervalMs: POLL_MS,
      sandboxReadySeconds: Number(sandbox.readySeconds.toFixed(1)),
      settings: {
        ...TUNABLE_DEFAULTS,
        LOG_LEVEL: "warn",
        note: "sandbox defaults (docs/sandbox.md); the fake completes an operation on its 2nd poll",
      },
      baseline: {
        kubeApiListMedianMs: Number(kubeMs.toFixed(2)),
        billingHealthzMedianMs: Number(healthMs.toFixed(2)),
      },
      purchase: {
        signedWebhookToLicenseResource: { ...summary(toLicense), ratio: ratio(toLicense) },
        signedWebhookToWorkstationReady: { ...summary(toWorkstationReady), ratio: ratio(toWorkstationReady) },
      },
      revocation: {
        toLicenseRevokedInCluster: summary(revokeToLicense),
        toWorkstationStoppedAccessRemoved: summary(revokeToWorkstationStopped),
        toContainerSessionTerminated: summary(revokeToSessionTerminated),
        toEveryEffect: { ...summary(revokeToAllEffects), ratio: ratio(revokeToAllEffects) },
      },
    });
  } finally {
    const code = await sandbox.stop();
    rmSync(work, { recursive: true, force: true });
    if (code !== 0) console.error(`npm start exited with ${code}`);
  }
}

await main();
