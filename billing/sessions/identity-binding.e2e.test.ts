/**
 * Issue 13 §1 end to end over HTTP, with two organizations: a workstation's identity is bound to ONE
 * workstation (ADR 0150). The operator (real, against the Kubernetes API test server and the fake Cloud
 * Workstations) creates each organization's workstation with its own credential in the workstation's env
 * and records the hash; billing's sessions API (real, on a real PostgreSQL) accepts a Google-signed identity
 * token (test infrastructure: signed with keys this test generates, as the metadata server would) only with
 * the credential of the workstation named by the container id. A session is only replaced by the same
 * container and the same principal (ADR 0151).
 */
import { PatchStrategy, setHeaderOptions } from "@kubernetes/client-node";
import { exportJWK, generateKeyPair, SignJWT } from "jose";
import { pino } from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { WorkstationResource } from "../../crds/types.js";
import { systemClock } from "../../lib/clock.js";
import {
  WORKSTATION_CREDENTIAL_ENV,
  WORKSTATION_ID_LABEL,
  workstationCredentialHash,
} from "../../lib/workstation-credential.js";
import { workstationIdFor } from "../../operator/gcp/naming.js";
import {
  conditionOf,
  eventually,
  type Harness,
  startHarness,
  TEST_POLICY,
} from "../../operator/testing/harness.js";
import { KubeClusterFeed } from "../cluster/feed.js";
import { licenseResourceName } from "../cluster/projection.js";
import { KubeSessionCluster } from "./cluster.js";
import { containerClaim } from "./decide.js";
import { type SessionsHarness, startSessionsHarness } from "./test-harness.js";

const AUDIENCE = "https://license.test.example";
const SA = "workstations@coditect-test.iam.gserviceaccount.com";
let op: Harness;
let h: SessionsHarness;
let googleKey: Awaited<ReturnType<typeof generateKeyPair>>["privateKey"];

interface Org {
  namespace: string;
  licenseKey: string;
  /** The cloud workstation id: the container id the workstation's agent validates with. */
  workstationId: string;
  cloudName: string;
}
let A: Org;
let B: Org;

async function organization(namespace: string): Promise<Org> {
  const lic = await h.createLicense("pro", { organization: namespace, maxContainers: 5 });
  await new KubeClusterFeed(op.kubeConfig, h.pool, pino({ level: "silent" })).syncLicense(lic.id);
  await op.createWorkstation(namespace, "dev", { licenseRef: { name: licenseResourceName(lic.id) } });
  await eventually(`${namespace}/dev Ready with a credential`, async () => {
    const ws = await op.getWorkstation(namespace, "dev");
    return conditionOf(ws, "Ready")?.status === "True" && ws?.status?.credentialHash;
  });
  return {
    namespace,
    licenseKey: lic.key,
    workstationId: workstationIdFor(namespace, "dev"),
    cloudName: op.cloudName(namespace, "dev"),
  };
}

/** The credential the operator put in the org's cloud workstation env (what its container receives). */
function credentialOf(org: Org): string {
  return op.fake.state.workstation(org.cloudName)!.env[WORKSTATION_CREDENTIAL_ENV]!;
}

/** An identity token as any workstation's metadata server mints it: every workstation has the same SA. */
function identityToken(): Promise<string> {
  return new SignJWT({ email: SA, email_verified: true })
    .setProtectedHeader({ alg: "RS256", kid: "google-test" })
    .setIssuer("https://accounts.google.com")
    .setAudience(AUDIENCE)
    .setIssuedAt()
    .setExpirationTime("1h")
    .sign(googleKey);
}

async function validateAs(containerId: string, credential: string | undefined) {
  return h.post("/v1/sessions/validate", {
    identityToken: await identityToken(),
    ...(credential === undefined ? {} : { workstationCredential: credential }),
    containerId,
    containerType: "workstation",
  });
}

async function sessionRow(id: string) {
  return (
    await h.pool.query("SELECT state, reason, organization FROM container_sessions WHERE id = $1", [id])
  ).rows[0];
}

beforeAll(async () => {
  op = await startHarness();
  await op.startOperator({ policy: { ...TEST_POLICY, idleStopMinRunMs: 0, observeIntervalMs: 300 } });
  const pair = await generateKeyPair("RS256");
  googleKey = pair.privateKey;
  const jwk = { ...(await exportJWK(pair.publicKey)), kid: "google-test", alg: "RS256" };
  h = await startSessionsHarness(
    systemClock,
    {
      cluster: new KubeSessionCluster(op.kubeConfig),
      identity: { jwks: { keys: [jwk] }, audience: AUDIENCE, serviceAccounts: [SA] },
    },
    "sessions_identity_binding",
  );
  A = await organization("org-alpha");
  B = await organization("org-beta");
}, 120_000);

afterAll(async () => {
  await h?.close();
  await op?.stop();
});

describe("a workstation identity binds to one workstation", { timeout: 60_000 }, () => {
  it("each workstation validates as itself, and its label names its cloud id", async () => {
    for (const org of [A, B]) {
      const ws = await op.getWorkstation(org.namespace, "dev");
      expect(ws?.metadata?.labels?.[WORKSTATION_ID_LABEL]).toBe(org.workstationId);
      expect(ws?.status?.credentialHash).toBe(workstationCredentialHash(credentialOf(org)));
    }
    const a = await validateAs(A.workstationId, credentialOf(A));
    expect(a.status).toBe(201);
    expect(a.body.organization).toBe(A.namespace);
    await h.post("/v1/sessions/release", {}, a.body.sessionToken);
  });

  it("A's token and credential posted with B's workstation id: 403, and B's running session is untouched", async () => {
    const b = await validateAs(B.workstationId, credentialOf(B));
    expect(b.status).toBe(201);
    expect(b.body.organization).toBe(B.namespace);

    const attack = await validateAs(B.workstationId, credentialOf(A));
    expect(attack.status).toBe(403);
    expect(attack.body.error.code).toBe("workstation_unknown");

    // The attack as it worked before: the identity token alone, B's id.
    const bare = await validateAs(B.workstationId, undefined);
    expect(bare.status).toBe(400);
    expect(bare.body.error.message).toMatch(/workstationCredential/);

    expect(await sessionRow(b.body.sessionId)).toEqual({
      state: "active",
      reason: null,
      organization: B.namespace,
    });
    const hb = await h.post("/v1/sessions/heartbeat", {}, b.body.sessionToken);
    expect(hb.status).toBe(200);
    expect(hb.body.status).toBe("ok");
    await h.post("/v1/sessions/release", {}, b.body.sessionToken);
  });

  it("wrong credential, unknown id and a guessable resource name get one indistinguishable answer", async () => {
    const answer = async (containerId: string, credential: string) => {
      const v = await validateAs(containerId, credential);
      return {
        status: v.status,
        code: v.body.error?.code,
        message: String(v.body.error?.message).replace(containerId, "ID"),
      };
    };
    const wrong = await answer(B.workstationId, "x".repeat(43));
    expect(wrong).toMatchObject({ status: 403, code: "workstation_unknown" });
    // The resource's name and namespace/name are not ids: only the operator's label is matched.
    for (const [id, credential] of [
      ["wkst-does-not-exist", credentialOf(A)],
      ["dev", credentialOf(A)],
      [A.workstationId.toUpperCase(), credentialOf(A)],
    ] as const) {
      expect(await answer(id, credential)).toEqual(wrong);
    }
  });

  it("a session is replaced by the same workstation restarting, never by another principal (409)", async () => {
    const first = await validateAs(B.workstationId, credentialOf(B));
    expect(first.status).toBe(201);
    // The same workstation restarting: same container, same principal.
    const restart = await validateAs(B.workstationId, credentialOf(B));
    expect(restart.status).toBe(201);
    expect(await sessionRow(first.body.sessionId)).toMatchObject({ state: "released", reason: "Superseded" });

    // B's own license key (another principal of the same license) claiming the workstation's container id.
    const claim = await h.post("/v1/sessions/validate", {
      licenseKey: B.licenseKey,
      containerId: B.workstationId,
      containerType: "docker",
    });
    expect(claim.status).toBe(409);
    expect(claim.body.error.code).toBe("container_in_use");
    expect(await sessionRow(restart.body.sessionId)).toMatchObject({ state: "active", reason: null });
    await h.post("/v1/sessions/release", {}, restart.body.sessionToken);

    // A license key re-validating its own container id (a docker restart) still replaces its session.
    const docker1 = await h.post("/v1/sessions/validate", {
      licenseKey: B.licenseKey,
      containerId: "box-1",
      containerType: "docker",
    });
    const docker2 = await h.post("/v1/sessions/validate", {
      licenseKey: B.licenseKey,
      containerId: "box-1",
      containerType: "docker",
    });
    expect([docker1.status, docker2.status]).toEqual([201, 201]);
    expect(await sessionRow(docker1.body.sessionId)).toMatchObject({
      state: "released",
      reason: "Superseded",
    });
    await h.post("/v1/sessions/release", {}, docker2.body.sessionToken);
  });

  it("a rotated credential replaces the old one; the workstation stays the same principal", async () => {
    const before = await validateAs(A.workstationId, credentialOf(A));
    expect(before.status).toBe(201);
    const oldCredential = credentialOf(A);
    const oldHash = workstationCredentialHash(oldCredential);
    // What an adopted or recreated resource looks like to the operator: a status without the hash.
    await op.custom.patchNamespacedCustomObjectStatus(
      {
        group: WorkstationResource.group,
        version: WorkstationResource.version,
        plural: WorkstationResource.plural,
        namespace: A.namespace,
        name: "dev",
        body: { status: { credentialHash: null } },
      },
      setHeaderOptions("Content-Type", PatchStrategy.MergePatch),
    );
    await eventually("rotated", async () => {
      const hash = (await op.getWorkstation(A.namespace, "dev"))?.status?.credentialHash;
      return hash && hash !== oldHash;
    });
    const stale = await validateAs(A.workstationId, oldCredential);
    expect(stale.status).toBe(403);
    // The workstation after its next start, with the new credential: replaces its own session.
    const after = await validateAs(A.workstationId, credentialOf(A));
    expect(after.status).toBe(201);
    expect(await sessionRow(before.body.sessionId)).toMatchObject({
      state: "released",
      reason: "Superseded",
    });
    await h.post("/v1/sessions/release", {}, after.body.sessionToken);
  });
});

describe("containerClaim (the pure rule)", () => {
  it.each([
    ["the same key", "key:a", "key:a", "supersede"],
    ["another key", "key:a", "key:b", "conflict"],
    ["a key claiming a workstation's container", "workstation:o/w", "key:a", "conflict"],
    ["another workstation", "workstation:o/w", "workstation:p/w", "conflict"],
    ["the same workstation (restart, rotated credential)", "workstation:o/w", "workstation:o/w", "supersede"],
    ["a session from before principals were recorded", null, "key:a", "supersede"],
  ] as const)("%s → %s", (_label, existing, principal, expected) => {
    expect(containerClaim(existing, principal)).toBe(expected);
  });
});
