/**
 * The workstation image's entrypoint, run for real: it fetches an identity token from a metadata server
 * (test infrastructure: a local HTTP server standing in for the GCE metadata server, signing with keys this
 * test generates), runs the bundled agent, which validates with the token; the sessions API maps it through
 * the Workstation resource (on the Kubernetes API test server) to the license; SIGTERM releases the seat.
 * The container env is the one the prod stack's WorkstationConfig renders (rehearsal, issue 11 §2), with
 * the license-server URL pointed at this test's billing (rehearsal/overrides.ts) and the image's own
 * plumbing (node, bundle, metadata server, state dir, base entrypoint) added.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { CustomObjectsApi, PatchStrategy, setHeaderOptions } from "@kubernetes/client-node";
import { exportJWK, generateKeyPair, SignJWT } from "jose";
import { pino } from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { WorkstationResource } from "../../crds/types.js";
import { bundleAgent } from "../../images/agent/bundle.js";
import { EXIT } from "../../images/agent/exit-codes.js";
import { systemClock } from "../../lib/clock.js";
import { generateWorkstationCredential, WORKSTATION_ID_LABEL } from "../../lib/workstation-credential.js";
import { renderForRehearsal } from "../../rehearsal/plan.js";
import { workstationContainerEnv } from "../../rehearsal/workstation-env.js";
import { type KubeApiServer, startKubeApiServer } from "../../test-support/kube-apiserver/index.js";
import { waitFor } from "../../test-support/wait.js";
import { KubeClusterFeed } from "../cluster/feed.js";
import { licenseResourceName } from "../cluster/projection.js";
import { KubeSessionCluster } from "./cluster.js";
import { type SessionsHarness, startSessionsHarness } from "./test-harness.js";

const BUNDLE = join(".tmp", "agent-ws-e2e", "coditect-agent.mjs");
const SA = "workstations@coditect-test.iam.gserviceaccount.com";
const CREDENTIAL = generateWorkstationCredential();
let kube: KubeApiServer;
let h: SessionsHarness;
let metadata: Server;
let metadataUrl: string;
let stateDir: string;
let agent: ChildProcess | undefined;
const requestedAudiences: string[] = [];
let renderedEnv: Record<string, Record<string, string>>;

beforeAll(async () => {
  renderedEnv = (await renderForRehearsal("prod")).rendered.workstationEnv;
  bundleAgent(BUNDLE);
  kube = await startKubeApiServer({ crdDirs: ["crds"] });
  const kc = kube.kubeConfig();
  const google = await generateKeyPair("RS256");
  const jwk = { ...(await exportJWK(google.publicKey)), kid: "metadata-test", alg: "RS256" };
  // The audience is only known once the harness listens; the identity config reads it lazily below.
  const identity = { jwks: { keys: [jwk] }, audience: "", serviceAccounts: [SA] };
  h = await startSessionsHarness(
    systemClock,
    { cluster: new KubeSessionCluster(kc), identity },
    "sessions_ws_entry",
  );
  identity.audience = h.url;

  const lic = await h.createLicense("pro", { organization: "ws-org" });
  await new KubeClusterFeed(kc, h.pool, pino({ level: "silent" })).syncLicense(lic.id);
  const api = kc.makeApiClient(CustomObjectsApi);
  const ws = {
    group: WorkstationResource.group,
    version: WorkstationResource.version,
    plural: WorkstationResource.plural,
    namespace: "ws-org",
  };
  await api.createNamespacedCustomObject({
    ...ws,
    body: {
      apiVersion: "coditect.ai/v1alpha1",
      kind: "Workstation",
      metadata: { name: "ws-e2e", labels: { [WORKSTATION_ID_LABEL]: "wkst-e2e" } },
      spec: { licenseRef: { name: licenseResourceName(lic.id) }, user: "dev@acme.example", tier: "standard" },
    },
  });
  await api.patchNamespacedCustomObjectStatus(
    {
      ...ws,
      name: "ws-e2e",
      body: {
        status: {
          externalRef:
            "projects/p/locations/l/workstationClusters/c/workstationConfigs/k/workstations/wkst-e2e",
          // What the operator records when it creates the workstation with its credential (ADR 0150).
          credentialHash: CREDENTIAL.hash,
        },
      },
    },
    setHeaderOptions("Content-Type", PatchStrategy.MergePatch),
  );

  metadata = createServer((req, res) => {
    const url = new URL(req.url ?? "/", "http://metadata");
    if (
      req.headers["metadata-flavor"] !== "Google" ||
      url.pathname !== "/computeMetadata/v1/instance/service-accounts/default/identity"
    ) {
      res.writeHead(404).end();
      return;
    }
    const audience = url.searchParams.get("audience") ?? "";
    requestedAudiences.push(audience);
    void new SignJWT({ email: SA, email_verified: true })
      .setProtectedHeader({ alg: "RS256", kid: "metadata-test" })
      .setIssuer("https://accounts.google.com")
      .setAudience(audience)
      .setIssuedAt()
      .setExpirationTime("1h")
      .sign(google.privateKey)
      .then((token) => res.writeHead(200, { "content-type": "text/plain" }).end(token));
  });
  await new Promise<void>((resolve) => metadata.listen(0, "127.0.0.1", resolve));
  metadataUrl = `http://127.0.0.1:${(metadata.address() as AddressInfo).port}/computeMetadata/v1`;
  stateDir = mkdtempSync(join(tmpdir(), "ws-entry-"));
});

afterAll(async () => {
  if (agent && agent.exitCode === null) {
    agent.kill("SIGTERM");
    await new Promise((resolve) => agent!.once("exit", resolve));
  }
  await new Promise((resolve) => metadata?.close(resolve));
  await h?.close();
  await kube?.stop();
  if (stateDir) rmSync(stateDir, { recursive: true, force: true });
});

describe("workstation entrypoint", () => {
  it("validates with a metadata-server identity token, runs the base entrypoint, releases on SIGTERM", async () => {
    let stderr = "";
    agent = spawn(
      "sh",
      [
        join("images", "workstation", "entrypoint.sh"),
        "-c",
        `env > '${join(stateDir, "payload-env")}'; trap "exit 0" TERM; while :; do sleep 0.1; done`,
      ],
      {
        env: {
          ...workstationContainerEnv(renderedEnv, "coditect-standard", h.url),
          PATH: process.env.PATH,
          CODITECT_NODE: process.execPath,
          CODITECT_AGENT_BUNDLE: BUNDLE,
          CODITECT_METADATA_URL: metadataUrl,
          CODITECT_CONTAINER_ID: "wkst-e2e",
          // The workstation's per-workstation env, as the operator sets it at create.
          CODITECT_WORKSTATION_CREDENTIAL: CREDENTIAL.secret,
          CODITECT_STATE_DIR: stateDir,
          // The predefined image's entrypoint, replaced by a shell that runs the payload script.
          CODITECT_BASE_ENTRYPOINT: "sh",
        },
        stdio: ["ignore", "ignore", "pipe"],
      },
    );
    agent.stderr!.on("data", (d) => {
      stderr += d;
    });
    const exited = new Promise<number>((resolve) => agent!.on("exit", (code) => resolve(code ?? -1)));
    await waitFor("online", () => {
      try {
        return JSON.parse(readFileSync(join(stateDir, "state.json"), "utf8")).phase === "online";
      } catch {
        return false;
      }
    });
    expect(requestedAudiences).toEqual([h.url]);
    const row = (
      await h.pool.query(
        "SELECT state, container_type, organization FROM container_sessions WHERE container_id = 'wkst-e2e'",
      )
    ).rows[0];
    expect(row).toEqual({ state: "active", container_type: "workstation", organization: "ws-org" });

    // The payload (the workstation's own entrypoint and everything the user runs) never sees the secret.
    const payloadEnv = await waitFor("payload env", () => {
      try {
        return readFileSync(join(stateDir, "payload-env"), "utf8");
      } catch {
        return "";
      }
    });
    expect(payloadEnv).toContain("CODITECT_SESSION_ID=");
    expect(payloadEnv).not.toContain(CREDENTIAL.secret);
    expect(payloadEnv).not.toContain("CODITECT_WORKSTATION_CREDENTIAL");

    agent.kill("SIGTERM");
    expect(await exited).toBe(EXIT.ok);
    expect(stderr).not.toContain(CREDENTIAL.secret);
    expect(stderr).toMatch(/licensed: session/);
    const after = (await h.pool.query("SELECT state FROM container_sessions WHERE container_id = 'wkst-e2e'"))
      .rows[0];
    expect(after.state).toBe("released");
  });
  it("refuses to start without the workstation's credential (not created by the operator)", async () => {
    const dir = mkdtempSync(join(tmpdir(), "ws-entry-nocred-"));
    try {
      const child = spawn("sh", [join("images", "workstation", "entrypoint.sh"), "-c", "exit 0"], {
        env: {
          ...workstationContainerEnv(renderedEnv, "coditect-standard", h.url),
          PATH: process.env.PATH,
          CODITECT_NODE: process.execPath,
          CODITECT_AGENT_BUNDLE: BUNDLE,
          CODITECT_METADATA_URL: metadataUrl,
          CODITECT_CONTAINER_ID: "wkst-e2e",
          CODITECT_STATE_DIR: dir,
          CODITECT_BASE_ENTRYPOINT: "sh",
        },
        stdio: ["ignore", "ignore", "pipe"],
      });
      let stderr = "";
      child.stderr!.on("data", (d) => {
        stderr += d;
      });
      const code = await new Promise<number>((resolve) => child.on("exit", (c) => resolve(c ?? -1)));
      expect(code).toBe(EXIT.config);
      expect(stderr).toMatch(/CODITECT_WORKSTATION_CREDENTIAL is not set/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
