import { createServer as createHttpServer, type Server } from "node:http";
import { createServer as createHttpsServer } from "node:https";
import type { AddressInfo } from "node:net";
import { CoreV1Api, type KubeConfig } from "@kubernetes/client-node";
import { afterEach, describe, expect, it } from "vitest";
import { generateServingMaterial } from "../test-support/kube-apiserver/auth/tls.js";
import { kubeConfigFor } from "../test-support/kube-apiserver/kubeconfig.js";
import { reuseConnections, withSharedConnections } from "./kube-connections.js";

/** A minimal API server that answers every request with an empty NamespaceList and counts connections. */
async function countingServer(tls: boolean) {
  const material = tls ? await generateServingMaterial() : undefined;
  const tokens: string[] = [];
  const handler = (req: import("node:http").IncomingMessage, res: import("node:http").ServerResponse) => {
    tokens.push(req.headers.authorization ?? "");
    res.writeHead(200, { "content-type": "application/json" });
    res.end(JSON.stringify({ kind: "NamespaceList", apiVersion: "v1", metadata: {}, items: [] }));
  };
  const server: Server = material
    ? createHttpsServer({ key: material.keyPem, cert: material.certPem }, handler)
    : createHttpServer(handler);
  let connections = 0;
  server.on("connection", () => {
    connections += 1;
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as AddressInfo).port;
  const url = `${material ? "https" : "http"}://127.0.0.1:${port}`;
  return {
    kubeConfig: (token = "t0") => kubeConfigFor({ url, caPem: material?.caPem, token }),
    connections: () => connections,
    tokens,
    stop: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

async function requests(kc: KubeConfig, count: number, inFlight: number): Promise<void> {
  const api = kc.makeApiClient(CoreV1Api);
  let next = 0;
  await Promise.all(
    Array.from({ length: inFlight }, async () => {
      while (next++ < count) await api.listNamespace();
    }),
  );
}

let stop: (() => Promise<void>) | undefined;
afterEach(async () => {
  await stop?.();
  stop = undefined;
});

describe("reuseConnections", () => {
  for (const tls of [false, true]) {
    const scheme = tls ? "https (a CA in the kubeconfig)" : "http (insecure-skip-tls-verify)";

    it(`${scheme}: client-node alone opens a connection per request`, async () => {
      const server = await countingServer(tls);
      stop = server.stop;
      await requests(server.kubeConfig(), 40, 4);
      // The behaviour reuseConnections exists for; if client-node ever pools by itself this fails and
      // lib/kube-connections.ts can go.
      expect(server.connections()).toBe(40);
    });

    it(`${scheme}: with reuseConnections, requests share keep-alive connections`, async () => {
      const server = await countingServer(tls);
      stop = server.stop;
      const kc = reuseConnections(server.kubeConfig());
      expect(reuseConnections(kc)).toBe(kc); // idempotent
      await requests(kc, 40, 4);
      // undici's pool may open one more while a response body is still being read: at most 2 × in flight.
      expect(server.connections()).toBeLessThanOrEqual(8);
      expect(server.tokens).toHaveLength(40);
      expect(new Set(server.tokens)).toEqual(new Set(["Bearer t0"]));
    });
  }

  it("two KubeConfigs for different servers keep separate connections", async () => {
    const a = await countingServer(false);
    const b = await countingServer(true);
    stop = async () => {
      await a.stop();
      await b.stop();
    };
    const kcA = reuseConnections(a.kubeConfig("token-a"));
    const kcB = reuseConnections(b.kubeConfig("token-b"));
    await Promise.all([requests(kcA, 10, 2), requests(kcB, 10, 2)]);
    expect(new Set(a.tokens)).toEqual(new Set(["Bearer token-a"]));
    expect(new Set(b.tokens)).toEqual(new Set(["Bearer token-b"]));
    expect(a.connections()).toBeLessThanOrEqual(4);
    expect(b.connections()).toBeLessThanOrEqual(4);
  });

  it("withSharedConnections pools a copy and leaves the caller's KubeConfig as it was", async () => {
    const server = await countingServer(true);
    stop = server.stop;
    const original = server.kubeConfig();
    const shared = withSharedConnections(original);
    expect(shared).not.toBe(original);
    await requests(shared, 20, 2);
    expect(server.connections()).toBeLessThanOrEqual(4);
    const before = server.connections();
    await requests(original, 10, 1);
    expect(server.connections() - before).toBe(10);
    expect(new Set(server.tokens)).toEqual(new Set(["Bearer t0"]));
  });
});
