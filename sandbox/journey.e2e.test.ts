/**
 * The purchase-to-session journey, end to end, against the sandbox run as a user runs it: `npm start` in
 * a temporary data directory on free ports (five separate processes), then only HTTP, the Kubernetes API
 * (client-node and kubectl with the written kubeconfig), the fake Cloud Workstations' gRPC API and the CLI
 * commands (`npm run sandbox:pay`, `npm run agent`). Intervals are shortened through the environment the
 * sandbox passes on; every wait polls for a condition with a generous deadline.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { v1 } from "@google-cloud/workstations";
import * as grpc from "@grpc/grpc-js";
import { CustomObjectsApi, KubeConfig } from "@kubernetes/client-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { revealLicenseKey, startCheckout } from "../billing/checkout/reveal-client.js";
import {
  type ContainerSession,
  ContainerSessionResource,
  type License,
  LicenseResource,
  type Workstation,
  WorkstationResource,
} from "../crds/types.js";
import { pollUntil } from "./health.js";
import { dataPaths, kubePaths } from "./plan.js";
import { type AgentProcess, httpJson, runCommand, startAgent } from "./testing/commands.js";
import { type LaunchedSandbox, launchSandbox } from "./testing/launch.js";

const ORG = "journey";
const USER = "dev@journey.test";
const WAIT = { timeoutMs: 90_000, intervalMs: 300 };
const EXIT_SEAT_LIMIT = 4;
const EXIT_SESSION_ENDED = 7;

type Resource = { group: string; version: string; plural: string };

describe("purchase-to-session journey through npm start", () => {
  const work = mkdtempSync(join(tmpdir(), "coditect-journey-"));
  const dataDir = join(work, "data");
  let sandbox: LaunchedSandbox;
  let custom: CustomObjectsApi;
  let workstationsClient: InstanceType<typeof v1.WorkstationsClient>;
  const agents: AgentProcess[] = [];
  const journey: {
    sessionId?: string;
    licenseId?: string;
    licenseKey?: string;
    revealCookie?: string | undefined;
    workstation?: Workstation;
    agentA?: AgentProcess;
  } = {};

  const list = async <T>(resource: Resource): Promise<T[]> =>
    ((await custom.listNamespacedCustomObject({ ...resource, namespace: ORG })) as { items: T[] }).items;
  const admin = () => ({ authorization: `Bearer ${sandbox.adminToken}` });
  const agentEnv = (name: string) => ({
    CODITECT_LICENSE_KEY: journey.licenseKey!,
    CODITECT_LICENSE_SERVER: sandbox.urls.billing,
    CODITECT_CONTAINER_ID: name,
    CODITECT_HOSTNAME: `${name}.journey.test`,
    CODITECT_STATE_DIR: join(work, name),
    CODITECT_RETRY_BASE_MS: "500",
  });

  const sandboxEnv = {
    HOME: work, // kubectl's discovery cache stays in the temp dir
    SESSIONS_HEARTBEAT_INTERVAL_SECONDS: "3",
    OPERATOR_OPERATION_POLL_MS: "200",
    OPERATOR_OBSERVE_INTERVAL_MS: "2000",
    SANDBOX_WORKSTATION_POLLS: "1",
  };
  const kubeClient = () => {
    const kc = new KubeConfig();
    kc.loadFromFile(sandbox.kubeconfig);
    return kc.makeApiClient(CustomObjectsApi);
  };

  beforeAll(async () => {
    sandbox = await launchSandbox({ dataDir, env: sandboxEnv });
    custom = kubeClient();
    // The Workstations client must not probe for a GCE metadata server (this is not Google Cloud).
    process.env.METADATA_SERVER_DETECTION = "none";
    const [host, port] = sandbox.urls.workstations.split(":");
    workstationsClient = new v1.WorkstationsClient({
      apiEndpoint: host,
      port: Number(port),
      sslCreds: grpc.credentials.createInsecure(),
    });
  }, 300_000);

  afterAll(async () => {
    await Promise.all(agents.map((a) => a.kill()));
    await workstationsClient?.close();
    if (sandbox) {
      const code = await sandbox.stop();
      // A clean Ctrl-C/SIGTERM: exit 0, and the running-state file is gone (every child was stopped).
      expect(code, sandbox.output()).toBe(0);
    }
    rmSync(work, { recursive: true, force: true });
  }, 90_000);

  it("prints a ready line, the kubeconfig works with kubectl and the CRDs are served", async () => {
    expect(sandbox.output()).toMatch(/CODITECT sandbox ready in [\d.]+ s/);
    expect(sandbox.output()).toContain(sandbox.kubeconfig.split("/").at(-1)!);
    const kubectl = await runCommand(
      "kubectl",
      ["--kubeconfig", sandbox.kubeconfig, "get", "lic,ws,csess", "-A"],
      {
        HOME: work,
      },
    );
    expect(kubectl.stderr).not.toMatch(/error/i);
    expect(kubectl.code).toBe(0);
  }, 120_000);

  it("the API server speaks TLS with tokens and RBAC: kubectl as admin, billing and the operator as their ServiceAccounts", async () => {
    expect(sandbox.urls.kube).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
    const kubectl = (kubeconfig: string, ...args: string[]) =>
      runCommand("kubectl", ["--kubeconfig", kubeconfig, ...args], { HOME: work });
    const created = await kubectl(sandbox.kubeconfig, "create", "namespace", "journey-scratch");
    expect(created.stdout, created.stderr).toContain("namespace/journey-scratch created");
    const kube = kubePaths(dataPaths(dataDir).kube);
    const canI = async (service: "billing" | "operator", ...args: string[]) =>
      (await kubectl(kube.serviceKubeconfig(service), "auth", "can-i", ...args)).stdout.trim();
    expect(await canI("billing", "create", "licenses.coditect.ai", "-n", ORG)).toBe("yes");
    expect(await canI("billing", "get", "secrets", "-n", ORG)).toBe("no");
    expect(await canI("operator", "patch", "workstations.coditect.ai/status", "-n", ORG)).toBe("yes");
    expect(await canI("operator", "create", "licenses.coditect.ai", "-n", ORG)).toBe("no");
    const whoami = await kubectl(kube.serviceKubeconfig("billing"), "get", "secrets", "-n", "default");
    expect(whoami.stderr).toContain(
      'User "system:serviceaccount:coditect-billing:billing" cannot list resource "secrets"',
    );
  }, 120_000);

  it("checkout, then the customer pays: the fake Stripe sends a signed webhook and billing creates the license", async () => {
    const checkout = await startCheckout(sandbox.urls.billing, {
      organization: ORG,
      customerEmail: USER,
      items: [
        { product: "starter", quantity: 1 },
        { product: "standard", quantity: 1 },
      ],
    });
    expect(checkout.status).toBe(201);
    journey.sessionId = checkout.body.checkoutSessionId as string;
    journey.revealCookie = checkout.cookie;
    expect(journey.sessionId).toMatch(/^cs_/);

    const pay = await runCommand("npm", [
      "run",
      "--silent",
      "sandbox:pay",
      "--",
      journey.sessionId,
      "--data-dir",
      dataDir,
      "--timeout",
      "90",
    ]);
    expect(pay.code, pay.stderr).toBe(0);
    expect(pay.stdout).toMatch(
      /license [0-9a-f-]{36}: starter, active, organization journey, standard workstation/,
    );

    // Billing counted a correctly signed checkout.session.completed delivery (the test never calls the
    // webhook itself; the metric may lag the license row by a moment).
    await pollUntil(
      "billing counting the signed checkout webhook",
      async () =>
        /billing_stripe_webhook_events_total\{type="checkout\.session\.completed",outcome="processed"\} 1/.test(
          await (await fetch(`${sandbox.urls.billing}/metrics`)).text(),
        ),
      WAIT,
    );
  }, 180_000);

  it("reveals the license key exactly once, to the browser that started the checkout", async () => {
    const page = await httpJson(
      `${sandbox.urls.billing}/v1/checkout/success?session_id=${journey.sessionId}`,
    );
    expect(page.status).toBe(200);
    expect(page.body).toMatchObject({ keyRevealed: false, reveal: { method: "POST", available: true } });
    expect(page.body.licenseKey).toBeUndefined();
    const first = await revealLicenseKey(sandbox.urls.billing, journey.sessionId!, journey.revealCookie);
    expect(first.status).toBe(200);
    journey.licenseKey = first.body.licenseKey as string;
    journey.licenseId = (first.body.license as { id: string }).id;
    expect(journey.licenseKey).toMatch(/^CODITECT-STR-/);
    const second = await revealLicenseKey(sandbox.urls.billing, journey.sessionId!, journey.revealCookie);
    expect(second.status).toBe(410);
    expect((second.body.error as { code: string }).code).toBe("key_already_revealed");
  }, 60_000);

  it("projects a License resource and a Workstation that becomes Ready with a host on the fake", async () => {
    let license: License | undefined;
    await pollUntil(
      "License resource",
      async () => {
        license = (await list<License>(LicenseResource)).find(
          (l) => l.metadata?.labels?.["coditect.ai/license-id"] === journey.licenseId,
        );
        return license !== undefined;
      },
      WAIT,
    );
    expect(license!.spec).toMatchObject({ tier: "starter", state: "active", maxContainers: 1 });

    await pollUntil(
      "Workstation Ready with a host",
      async () => {
        journey.workstation = (await list<Workstation>(WorkstationResource))[0];
        const ready = journey.workstation?.status?.conditions?.find((c) => c.type === "Ready");
        return ready?.status === "True" && Boolean(journey.workstation?.status?.host);
      },
      WAIT,
    );
    const ws = journey.workstation!;
    expect(ws.spec.user).toBe(USER);
    expect(ws.status?.state).toBe("STATE_RUNNING");
    expect(ws.status?.accessGrantedTo).toBe(USER);
    const [cloud] = await workstationsClient.getWorkstation({ name: ws.status!.externalRef! });
    expect(cloud.state).toBe("STATE_RUNNING");
    expect(cloud.host).toBe(ws.status?.host);
  }, 180_000);

  it("the session agent validates and heartbeats; its ContainerSession is visible", async () => {
    const agentA = startAgent(agentEnv("journey-a"));
    agents.push(agentA);
    journey.agentA = agentA;
    let session: ContainerSession | undefined;
    await pollUntil(
      "ContainerSession of agent A",
      async () => {
        session = (await list<ContainerSession>(ContainerSessionResource)).find(
          (s) => s.spec.containerId === "journey-a",
        );
        return session?.status?.lastHeartbeatTime !== undefined;
      },
      {
        ...WAIT,
        abort: () => (agentA.exitCode() !== undefined ? `agent exited: ${agentA.output()}` : undefined),
      },
    );
    expect(session!.spec).toMatchObject({ containerType: "docker", hostname: "journey-a.journey.test" });
    expect(session!.status?.state).toBe("active");
    const validatedAt = Date.parse(session!.status!.lastHeartbeatTime!);
    await pollUntil(
      "a heartbeat after validation",
      async () => {
        const current = (await list<ContainerSession>(ContainerSessionResource)).find(
          (s) => s.spec.containerId === "journey-a",
        );
        return Date.parse(current?.status?.lastHeartbeatTime ?? "0") > validatedAt;
      },
      WAIT,
    );
    expect(agentA.output()).toMatch(/licensed: session/);
  }, 180_000);

  it("refuses a second container on the Starter license (seat limit 1)", async () => {
    const agentB = await runCommand(
      "npm",
      ["run", "--silent", "agent", "--", "run", "--", "sleep", "600"],
      agentEnv("journey-b"),
    );
    expect(agentB.code, agentB.stdout + agentB.stderr).toBe(EXIT_SEAT_LIMIT);
    expect(agentB.stdout + agentB.stderr).toMatch(/all 1 container seats of this license are in use/);
    const sessions = await list<ContainerSession>(ContainerSessionResource);
    expect(sessions.map((s) => s.spec.containerId)).toEqual(["journey-a"]);
  }, 120_000);

  it("admin revocation stops the workstation, removes access, terminates the session; the audit log is complete", async () => {
    const revoke = await httpJson(`${sandbox.urls.billing}/v1/admin/licenses/${journey.licenseId}/revoke`, {
      method: "POST",
      headers: admin(),
      body: { reason: "journey test: chargeback" },
    });
    expect(revoke.status).toBe(200);

    const name = journey.workstation!.metadata!.name!;
    await pollUntil(
      "Workstation stopped with access removed",
      async () => {
        const ws = (await list<Workstation>(WorkstationResource)).find((w) => w.metadata?.name === name);
        const access = ws?.status?.conditions?.find((c) => c.type === "AccessGranted");
        return ws?.status?.state === "STATE_STOPPED" && access?.status === "False";
      },
      WAIT,
    );
    const externalRef = journey.workstation!.status!.externalRef!;
    const [cloud] = await workstationsClient.getWorkstation({ name: externalRef });
    expect(cloud.state).toBe("STATE_STOPPED");
    const [policy] = await workstationsClient.getIamPolicy({ resource: externalRef });
    expect((policy.bindings ?? []).flatMap((b) => b.members ?? [])).not.toContain(`user:${USER}`);

    await pollUntil(
      "ContainerSession terminated",
      async () => {
        const s = (await list<ContainerSession>(ContainerSessionResource)).find(
          (c) => c.spec.containerId === "journey-a",
        );
        return s?.status?.state === "terminated";
      },
      WAIT,
    );
    const agentExit = await Promise.race([
      journey.agentA!.exited,
      new Promise<"still running">((r) => setTimeout(() => r("still running"), 60_000)),
    ]);
    expect(agentExit, journey.agentA!.output()).toBe(EXIT_SESSION_ENDED);

    const audit = await httpJson(
      `${sandbox.urls.billing}/v1/admin/audit-events?licenseId=${journey.licenseId}&limit=500`,
      { headers: admin() },
    );
    expect(audit.status).toBe(200);
    const actions = (audit.body.events as { action: string }[]).map((e) => e.action);
    for (const action of [
      "license.created",
      "license.key_issued",
      "session.started",
      "license.revoked",
      "session.terminated",
    ]) {
      expect(actions, `audit actions: ${actions.join(", ")}`).toContain(action);
    }
    expect(actions.indexOf("license.revoked")).toBeLessThan(actions.lastIndexOf("session.terminated"));
  }, 240_000);

  it("state persists across a restart: Postgres re-projects the License and Workstation into the fresh API server", async () => {
    const code = await sandbox.stop();
    expect(code, sandbox.output()).toBe(0);
    const adminToken = sandbox.adminToken;
    sandbox = await launchSandbox({ dataDir, env: sandboxEnv });
    custom = kubeClient();
    expect(sandbox.adminToken).toBe(adminToken);
    const license = await httpJson(`${sandbox.urls.billing}/v1/admin/licenses/${journey.licenseId}`, {
      headers: admin(),
    });
    expect(license.status).toBe(200);
    expect((license.body.license as { state: string }).state).toBe("revoked");
    await pollUntil(
      "License and Workstation back in the API server",
      async () => {
        const licenses = await list<License>(LicenseResource);
        const workstations = await list<Workstation>(WorkstationResource);
        return (
          licenses.some(
            (l) =>
              l.metadata?.labels?.["coditect.ai/license-id"] === journey.licenseId &&
              l.spec.state === "revoked",
          ) && workstations.some((w) => w.metadata?.name === journey.workstation!.metadata!.name)
        );
      },
      WAIT,
    );
  }, 300_000);
});
