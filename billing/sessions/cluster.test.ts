/** The sessions API with the cluster: ContainerSession resources on the Kubernetes API test server. */
import { execFile } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { CustomObjectsApi, type KubeConfig, PatchStrategy, setHeaderOptions } from "@kubernetes/client-node";
import { exportJWK, generateKeyPair, SignJWT } from "jose";
import { pino } from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type ContainerSession, ContainerSessionResource, WorkstationResource } from "../../crds/types.js";
import { ManualClock } from "../../lib/clock.js";
import { TIMING } from "../../lib/domain.js";
import type { KubeConnection } from "../../lib/kube/connection.js";
import { generateWorkstationCredential, WORKSTATION_ID_LABEL } from "../../lib/workstation-credential.js";
import { type KubeApiServer, startKubeApiServer } from "../../test-support/kube-apiserver/index.js";
import { KubeClusterFeed } from "../cluster/feed.js";
import { licenseResourceName } from "../cluster/projection.js";
import { testServerConnection } from "../testing/kube-connection.js";
import { KubeSessionCluster, type SessionCluster } from "./cluster.js";
import { type SessionsHarness, startSessionsHarness } from "./test-harness.js";

const clock = new ManualClock("2026-03-01T12:00:00Z");
const AUDIENCE = "https://license.test.example";
const WORKSTATION_SA = "workstations@coditect-test.iam.gserviceaccount.com";
const CREDENTIAL = generateWorkstationCredential();
let kube: KubeApiServer;
let kc: KubeConfig;
/** Billing's own client connects with this (kc stays the independent client-node reader). */
let conn: KubeConnection;
let api: CustomObjectsApi;
let h: SessionsHarness;
let googleKey: Awaited<ReturnType<typeof generateKeyPair>>["privateKey"];

const sessions = {
  group: ContainerSessionResource.group,
  version: ContainerSessionResource.version,
  plural: ContainerSessionResource.plural,
};
const getSession = (namespace: string, name: string) =>
  api.getNamespacedCustomObject({ ...sessions, namespace, name }) as Promise<
    ContainerSession & { metadata: { generation: number; annotations?: Record<string, string> } }
  >;

beforeAll(async () => {
  kube = await startKubeApiServer({ crdDirs: ["crds"] });
  kc = kube.kubeConfig();
  conn = testServerConnection(kube);
  api = kc.makeApiClient(CustomObjectsApi);
  const pair = await generateKeyPair("RS256");
  googleKey = pair.privateKey;
  const publicJwk = { ...(await exportJWK(pair.publicKey)), kid: "google-test", alg: "RS256" };
  h = await startSessionsHarness(
    clock,
    {
      cluster: new KubeSessionCluster(conn),
      identity: { jwks: { keys: [publicJwk] }, audience: AUDIENCE, serviceAccounts: [WORKSTATION_SA] },
    },
    "sessions_cluster",
  );
});
afterAll(async () => {
  await h.close();
  await kube.stop();
});

/** A license in Postgres and its License resource (through billing's own cluster feed). */
async function projectedLicense(tier: "starter" | "pro", organization: string) {
  const lic = await h.createLicense(tier, { organization });
  await new KubeClusterFeed(conn, h.pool, pino({ level: "silent" })).syncLicense(lic.id);
  return lic;
}

describe("ContainerSession resources", () => {
  it("validate creates the resource (with status) under the lock; heartbeats patch status without a new generation", async () => {
    const lic = await projectedLicense("pro", "org-a");
    const v = await h.post("/v1/sessions/validate", {
      licenseKey: lic.key,
      containerId: "box-1",
      containerType: "docker",
      hostname: "h1",
      ip: "10.1.2.3",
    });
    expect(v.status).toBe(201);
    const name = `cs-${v.body.sessionId}`;
    const created = await getSession("org-a", name);
    expect(created.spec).toMatchObject({
      sessionId: v.body.sessionId,
      licenseRef: { name: licenseResourceName(lic.id) },
      containerId: "box-1",
      containerType: "docker",
      hostname: "h1",
      ip: "10.1.2.3",
      maxUsers: 1,
    });
    expect(created.status).toMatchObject({ state: "active", lastHeartbeatTime: clock.now().toISOString() });

    clock.advance(TIMING.heartbeatIntervalMs);
    await h.post("/v1/sessions/heartbeat", { cpu: 5, memory: 2048, uptime: 300 }, v.body.sessionToken);
    const after = await getSession("org-a", name);
    expect(after.status).toMatchObject({
      state: "active",
      lastHeartbeatTime: clock.now().toISOString(),
      expiresAt: new Date(clock.now().getTime() + TIMING.sessionExpiryMs).toISOString(),
      // The token this heartbeat handed out: 5 minutes online earn the 30-minute floor (ADR 0158).
      offlineGraceUntil: new Date(clock.now().getTime() + TIMING.sessionExpiryMs).toISOString(),
      lastReport: { cpuPercent: 5, memoryBytes: 2048, uptimeSeconds: 300 },
    });
    expect(after.metadata.generation).toBe(created.metadata.generation);
  });

  it("a session the operator terminated is told `expired` at its next heartbeat, and Postgres follows", async () => {
    const lic = await projectedLicense("pro", "org-b");
    const v = await h.post("/v1/sessions/validate", {
      licenseKey: lic.key,
      containerId: "box-2",
      containerType: "docker",
    });
    const name = `cs-${v.body.sessionId}`;
    // What the operator writes after a downgrade (operator/containersession).
    await api.patchNamespacedCustomObjectStatus(
      {
        ...sessions,
        namespace: "org-b",
        name,
        body: { status: { state: "terminated", reason: "OverQuota", endedAt: clock.now().toISOString() } },
      },
      setHeaderOptions("Content-Type", PatchStrategy.MergePatch),
    );
    const hb = await h.post("/v1/sessions/heartbeat", {}, v.body.sessionToken);
    expect(hb.body).toMatchObject({ status: "expired" });
    expect(hb.body.message).toMatch(/OverQuota/);
    const row = (
      await h.pool.query("SELECT state, reason FROM container_sessions WHERE id = $1", [v.body.sessionId])
    ).rows[0];
    expect(row).toEqual({ state: "terminated", reason: "OverQuota" });
  });

  it("release marks the resource released and names its audit record", async () => {
    const lic = await projectedLicense("starter", "org-c");
    const v = await h.post("/v1/sessions/validate", {
      licenseKey: lic.key,
      containerId: "box-3",
      containerType: "docker",
    });
    await h.post("/v1/sessions/release", {}, v.body.sessionToken);
    const cs = await getSession("org-c", `cs-${v.body.sessionId}`);
    expect(cs.status).toMatchObject({
      state: "released",
      reason: "Released",
      endedAt: clock.now().toISOString(),
    });
    expect(cs.metadata.annotations?.["coditect.ai/audit-ref"]).toBe("billing:audit_events/session.released");
  });

  it("no resource without a seat: a refused validate creates nothing", async () => {
    const lic = await projectedLicense("starter", "org-d");
    await h.post("/v1/sessions/validate", {
      licenseKey: lic.key,
      containerId: "d-1",
      containerType: "docker",
    });
    const refused = await h.post("/v1/sessions/validate", {
      licenseKey: lic.key,
      containerId: "d-2",
      containerType: "docker",
    });
    expect(refused.status).toBe(429);
    const list = (await api.listNamespacedCustomObject({ ...sessions, namespace: "org-d" })) as {
      items: unknown[];
    };
    expect(list.items).toHaveLength(1);
  });
});

describe("a failed admission leaves nothing behind", () => {
  it("rolls back the row and deletes the resource when the cluster write fails after create", async () => {
    const real = new KubeSessionCluster(conn);
    // Fault injection (test infrastructure): the create reaches the API server, then the write "fails".
    const failing: SessionCluster = {
      async createSession(resource, status) {
        await real.createSession(resource, status);
        throw new Error("injected: status write failed");
      },
      patchSessionStatus: (ns, name, status) => real.patchSessionStatus(ns, name, status),
      deleteSession: (ns, name) => real.deleteSession(ns, name),
      annotateSession: (ns, name, annotations) => real.annotateSession(ns, name, annotations),
      licenseIdOf: (ns, name) => real.licenseIdOf(ns, name),
      findWorkstation: (id) => real.findWorkstation(id),
    };
    const faulty = await startSessionsHarness(clock, { cluster: failing }, "sessions_rollback");
    try {
      const lic = await faulty.createLicense("pro", { organization: "org-rollback" });
      await new KubeClusterFeed(conn, faulty.pool, pino({ level: "silent" })).syncLicense(lic.id);
      const v = await faulty.post("/v1/sessions/validate", {
        licenseKey: lic.key,
        containerId: "rb-1",
        containerType: "docker",
      });
      expect(v.status).toBe(500);
      expect((await faulty.pool.query("SELECT count(*)::int AS n FROM container_sessions")).rows[0].n).toBe(
        0,
      );
      const list = (await api.listNamespacedCustomObject({ ...sessions, namespace: "org-rollback" })) as {
        items: unknown[];
      };
      expect(list.items).toHaveLength(0);
    } finally {
      await faulty.close();
    }
  });
});

describe("kubectl", () => {
  it("lists sessions with their license, type, state and last heartbeat", async () => {
    const lic = await projectedLicense("pro", "org-kubectl");
    const v = await h.post("/v1/sessions/validate", {
      licenseKey: lic.key,
      containerId: "k-1",
      containerType: "docker",
      hostname: "build-7",
    });
    const home = mkdtempSync(join(tmpdir(), "kubectl-home-"));
    try {
      const kubeconfig = join(home, "config");
      kube.writeKubeconfig(kubeconfig);
      // Asynchronously: the API test server runs in this process and must keep answering.
      const out = await promisify(execFile)(
        "kubectl",
        ["--kubeconfig", kubeconfig, "get", "csess", "-n", "org-kubectl", "-o", "wide"],
        { env: { HOME: home, PATH: process.env.PATH }, encoding: "utf8" },
      );
      const [header, row] = out.stdout.trim().split("\n");
      expect(header!.split(/\s+/)).toEqual([
        "NAME",
        "LICENSE",
        "TYPE",
        "STATE",
        "LAST-HEARTBEAT",
        "HOST",
        "REASON",
        "AGE",
      ]);
      expect(row!.split(/\s+/).slice(0, 4)).toEqual([
        `cs-${v.body.sessionId}`,
        licenseResourceName(lic.id),
        "docker",
        "active",
      ]);
      expect(row).toContain("build-7");
    } finally {
      rmSync(home, { recursive: true, force: true });
    }
  });
});

describe("workstation identity tokens", () => {
  async function identityToken(claims: Record<string, unknown>) {
    return new SignJWT({ email: WORKSTATION_SA, email_verified: true, ...claims })
      .setProtectedHeader({ alg: "RS256", kid: "google-test" })
      .setIssuer("https://accounts.google.com")
      .setAudience((claims.aud as string) ?? AUDIENCE)
      .setIssuedAt(Math.floor(clock.now().getTime() / 1000))
      .setExpirationTime(Math.floor(clock.now().getTime() / 1000) + 3600)
      .sign(googleKey);
  }

  beforeAll(async () => {
    const lic = await projectedLicense("pro", "org-ws");
    const ws = {
      group: WorkstationResource.group,
      version: WorkstationResource.version,
      plural: WorkstationResource.plural,
      namespace: "org-ws",
    };
    await api.createNamespacedCustomObject({
      ...ws,
      body: {
        apiVersion: "coditect.ai/v1alpha1",
        kind: "Workstation",
        metadata: { name: "ws-dev-1", labels: { [WORKSTATION_ID_LABEL]: "wkst-7f3a" } },
        spec: {
          licenseRef: { name: licenseResourceName(lic.id) },
          user: "dev@acme.example",
          tier: "standard",
        },
      },
    });
    await api.patchNamespacedCustomObjectStatus(
      {
        ...ws,
        name: "ws-dev-1",
        body: {
          status: {
            externalRef:
              "projects/p/locations/us-central1/workstationClusters/c/workstationConfigs/standard/workstations/wkst-7f3a",
            credentialHash: CREDENTIAL.hash,
          },
        },
      },
      setHeaderOptions("Content-Type", PatchStrategy.MergePatch),
    );
  });

  it("maps a Google-signed identity token through the Workstation resource to its license", async () => {
    const v = await h.post("/v1/sessions/validate", {
      identityToken: await identityToken({}),
      workstationCredential: CREDENTIAL.secret,
      containerId: "wkst-7f3a",
      containerType: "workstation",
    });
    expect(v.status).toBe(201);
    expect(v.body).toMatchObject({ licenseTier: "pro", organization: "org-ws" });
  });

  const refusals: [string, Record<string, unknown>, string, string][] = [
    ["another service account", { email: "someone@evil.example" }, "wkst-7f3a", "identity_not_allowed"],
    ["a token for another audience", { aud: "https://other.example" }, "wkst-7f3a", "identity_invalid"],
    ["an unverified email", { email_verified: false }, "wkst-7f3a", "identity_invalid"],
    ["an unknown workstation", {}, "wkst-nope", "workstation_unknown"],
  ];
  it.each(refusals)("refuses %s with 403", async (_label, claims, containerId, code) => {
    const v = await h.post("/v1/sessions/validate", {
      identityToken: await identityToken(claims),
      workstationCredential: CREDENTIAL.secret,
      containerId,
      containerType: "workstation",
    });
    expect(v.status).toBe(403);
    expect(v.body.error.code).toBe(code);
  });

  it("answers the same for an unknown workstation and one without a license (no id enumeration)", async () => {
    await api.createNamespacedCustomObject({
      group: WorkstationResource.group,
      version: WorkstationResource.version,
      plural: WorkstationResource.plural,
      namespace: "org-ws",
      body: {
        apiVersion: "coditect.ai/v1alpha1",
        kind: "Workstation",
        metadata: { name: "wkst-orphan", labels: { [WORKSTATION_ID_LABEL]: "wkst-orphan" } },
        spec: { licenseRef: { name: "lic-gone" }, user: "dev@acme.example", tier: "standard" },
      },
    });
    await api.patchNamespacedCustomObjectStatus(
      {
        group: WorkstationResource.group,
        version: WorkstationResource.version,
        plural: WorkstationResource.plural,
        namespace: "org-ws",
        name: "wkst-orphan",
        body: {
          status: {
            externalRef: "projects/p/l/c/k/workstations/wkst-orphan",
            credentialHash: CREDENTIAL.hash,
          },
        },
      },
      setHeaderOptions("Content-Type", PatchStrategy.MergePatch),
    );
    const answer = async (containerId: string) => {
      const v = await h.post("/v1/sessions/validate", {
        identityToken: await identityToken({}),
        workstationCredential: CREDENTIAL.secret,
        containerId,
        containerType: "workstation",
      });
      return { status: v.status, code: v.body.error.code, message: v.body.error.message };
    };
    const orphan = await answer("wkst-orphan");
    const unknown = await answer("wkst-nothere");
    expect(orphan.message).not.toContain("org-ws");
    expect({ ...orphan, message: orphan.message.replace("wkst-orphan", "ID") }).toEqual({
      ...unknown,
      message: unknown.message.replace("wkst-nothere", "ID"),
    });
    expect(unknown).toMatchObject({ status: 403, code: "workstation_unknown" });
  });

  it("refuses a token signed by a key not in the JWKS", async () => {
    const stranger = await generateKeyPair("RS256");
    const token = await new SignJWT({ email: WORKSTATION_SA, email_verified: true })
      .setProtectedHeader({ alg: "RS256", kid: "google-test" })
      .setIssuer("https://accounts.google.com")
      .setAudience(AUDIENCE)
      .setExpirationTime(Math.floor(clock.now().getTime() / 1000) + 3600)
      .sign(stranger.privateKey);
    const v = await h.post("/v1/sessions/validate", {
      identityToken: token,
      workstationCredential: CREDENTIAL.secret,
      containerId: "wkst-7f3a",
      containerType: "workstation",
    });
    expect(v.status).toBe(403);
    expect(v.body.error.code).toBe("identity_invalid");
  });
});
