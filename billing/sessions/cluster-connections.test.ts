/**
 * ADR 0304: the sessions API's own cluster client (built from billing's credentials, as in production)
 * reuses keep-alive connections to the Kubernetes API instead of opening one per request. Counted by a TCP
 * proxy in front of the API test server; the API's answers are unchanged (every admitted session gets its
 * resource, a heartbeat's status reaches it).
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { type AddressInfo, connect, createServer, type Server, type Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { CustomObjectsApi, type KubeConfig } from "@kubernetes/client-node";
import express from "express";
import { pino } from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type ContainerSession, ContainerSessionResource } from "../../crds/types.js";
import { ManualClock } from "../../lib/clock.js";
import { type KubeApiServer, startKubeApiServer } from "../../test-support/kube-apiserver/index.js";
import { waitFor } from "../../test-support/wait.js";
import { KubeClusterFeed } from "../cluster/feed.js";
import { errorMiddleware } from "../http/errors.js";
import { sessionsRouter, stopSessions } from "./router.js";
import { type SessionsHarness, startSessionsHarness } from "./test-harness.js";

const clock = new ManualClock("2026-03-01T12:00:00Z");
let kube: KubeApiServer;
let kc: KubeConfig;
let h: SessionsHarness;
let proxy: Server;
let connections = 0;
const sockets = new Set<Socket>();
let dir: string;

beforeAll(async () => {
  kube = await startKubeApiServer({ crdDirs: ["crds"] });
  kc = kube.kubeConfig();
  h = await startSessionsHarness(clock, {}, "sessions_connections");
  const upstream = new URL(kc.getCurrentCluster()!.server);
  proxy = createServer((client) => {
    connections += 1;
    const server = connect(Number(upstream.port), upstream.hostname);
    for (const socket of [client, server]) {
      sockets.add(socket);
      socket.on("error", () => socket.destroy());
      socket.on("close", () => sockets.delete(socket));
    }
    client.pipe(server).pipe(client);
  });
  await new Promise<void>((resolve) => proxy.listen(0, "127.0.0.1", resolve));
  dir = mkdtempSync(join(tmpdir(), "sessions-connections-"));
});
afterAll(async () => {
  for (const socket of sockets) socket.destroy();
  await new Promise((resolve) => proxy.close(resolve));
  await h.close();
  await kube.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe("the sessions API's cluster client (ADR 0304)", () => {
  it("creates resources and writes statuses over reused keep-alive connections", async () => {
    // billing's own credentials (KUBECONFIG), pointing at the counting proxy.
    const kubeconfig = join(dir, "kubeconfig.json");
    const viaProxy = JSON.parse(kc.exportConfig()) as { clusters: { cluster: { server: string } }[] };
    viaProxy.clusters[0]!.cluster.server = `http://127.0.0.1:${(proxy.address() as AddressInfo).port}`;
    writeFileSync(kubeconfig, JSON.stringify(viaProxy));
    const deps = {
      ...h.deps,
      config: { ...h.deps.config, kubernetes: { ...h.deps.config.kubernetes, kubeconfig } },
    };
    const app = express();
    app.use(express.json());
    app.use(sessionsRouter(deps, { keySet: h.keySet, statusFlushMs: 60_000 }));
    app.use(errorMiddleware);
    const server = app.listen(0, "127.0.0.1");
    await new Promise((resolve) => server.once("listening", resolve));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const post = async (path: string, body: unknown, token?: string) => {
      const res = await fetch(`${url}${path}`, {
        method: "POST",
        headers: {
          "content-type": "application/json",
          ...(token ? { authorization: `Bearer ${token}` } : {}),
        },
        body: JSON.stringify(body),
      });
      return { status: res.status, body: (await res.json()) as Record<string, string> };
    };
    const api = kc.makeApiClient(CustomObjectsApi);
    const read = async (name: string) =>
      (await api.getNamespacedCustomObject({
        group: ContainerSessionResource.group,
        version: ContainerSessionResource.version,
        plural: ContainerSessionResource.plural,
        namespace: "org-connections",
        name,
      })) as ContainerSession;
    try {
      const lic = await h.createLicense("pro", { organization: "org-connections", maxContainers: 12 });
      await new KubeClusterFeed(kc, h.pool, pino({ level: "silent" })).syncLicense(lic.id);
      const admitted: { name: string; token: string }[] = [];
      for (let i = 0; i < 12; i++) {
        const v = await post("/v1/sessions/validate", {
          licenseKey: lic.key,
          containerId: `box-${i}`,
          containerType: "docker",
        });
        expect(v.status).toBe(201);
        const name = `cs-${v.body.sessionId!.toLowerCase()}`;
        admitted.push({ name, token: v.body.sessionToken! });
        await waitFor("the session's resource", async () => (await read(name)).status?.state);
      }
      const afterCreations = connections;
      clock.advance(60_000);
      for (const { token } of admitted)
        expect((await post("/v1/sessions/heartbeat", { cpuPercent: 7 }, token)).status).toBe(200);
      await stopSessions(deps); // flushes the 12 queued statuses
      for (const { name } of admitted)
        expect((await read(name)).status).toMatchObject({
          state: "active",
          lastHeartbeatTime: clock.now().toISOString(),
          lastReport: { cpuPercent: 7 },
        });
      // 24 API writes; a connection per request would be 24. Pooled, the sequential creations share one
      // (two if the server closed one meanwhile) and the flush, 8 writes at a time, adds at most 8.
      expect(afterCreations).toBeLessThanOrEqual(2);
      expect(connections - afterCreations).toBeLessThanOrEqual(8);
    } finally {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    }
  });
});
