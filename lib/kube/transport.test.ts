/**
 * The HTTP layer: pooled keep-alive connections (counted on the server, as lib/kube-connections.test.ts
 * counts client-node's), the one retry of a request that died on a reused connection before any answer
 * (and none on a fresh one), and the pure pieces of the error mapping.
 */

import diagnostics from "node:diagnostics_channel";
import {
  createServer as createHttpServer,
  type IncomingMessage,
  type Server,
  type ServerResponse,
} from "node:http";
import { createServer as createHttpsServer } from "node:https";
import type { AddressInfo, Socket } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { generateServingMaterial } from "../../test-support/kube-apiserver/auth/tls.js";
import { kubeConnectionFor } from "../../test-support/kube-apiserver/kubeconfig.js";
import { createKubeClient } from "./client.js";
import { KubeApiError, KubeConnectionError } from "./errors.js";
import { NamespaceResource } from "./resources.js";
import { apiErrorFrom, isReusedConnectionFailure, retryAfterSeconds } from "./transport.js";

type Handler = (req: IncomingMessage, res: ServerResponse, requestOnSocket: number, body: string) => void;

/** One pooled connection: the second request must reuse the first one's (deterministic reuse). */
const ONE_CONNECTION = { connections: 1 };

/** A server that counts connections and hands each request its number on its socket (1 = first). */
async function countingServer(handler: Handler, tls = false) {
  const material = tls ? await generateServingMaterial() : undefined;
  const perSocket = new WeakMap<Socket, number>();
  const requests: string[] = [];
  const onRequest = (req: IncomingMessage, res: ServerResponse) => {
    let body = "";
    req.on("data", (chunk) => {
      body += chunk;
    });
    req.on("end", () => {
      const n = (perSocket.get(req.socket) ?? 0) + 1;
      perSocket.set(req.socket, n);
      requests.push(`${req.method} ${req.url} ${req.headers.authorization ?? ""}`);
      handler(req, res, n, body);
    });
  };
  const server: Server = material
    ? createHttpsServer({ key: material.keyPem, cert: material.certPem }, onRequest)
    : createHttpServer(onRequest);
  let connections = 0;
  server.on(material ? "secureConnection" : "connection", () => {
    connections += 1;
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const url = `${material ? "https" : "http"}://127.0.0.1:${(server.address() as AddressInfo).port}`;
  stop = () =>
    new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    });
  return {
    connection: (token = "t0") => kubeConnectionFor({ url, caPem: material?.caPem, token }),
    connections: () => connections,
    requests,
  };
}

const answerList: Handler = (_req, res) => {
  res.writeHead(200, { "content-type": "application/json" });
  res.end(JSON.stringify({ kind: "NamespaceList", apiVersion: "v1", metadata: {}, items: [] }));
};

let stop: (() => Promise<void>) | undefined;
afterEach(async () => {
  await stop?.();
  stop = undefined;
});

describe("connection pool", () => {
  for (const tls of [false, true]) {
    it(`${tls ? "https" : "http"}: 40 requests, 4 at a time, share a few keep-alive connections`, async () => {
      const server = await countingServer(answerList, tls);
      const client = createKubeClient(server.connection());
      const namespaces = client.resource(NamespaceResource);
      let next = 0;
      await Promise.all(
        Array.from({ length: 4 }, async () => {
          while (next++ < 40) await namespaces.list();
        }),
      );
      await client.close();
      expect(server.requests).toHaveLength(40);
      expect(new Set(server.requests)).toEqual(new Set(["GET /api/v1/namespaces Bearer t0"]));
      expect(server.connections()).toBeGreaterThanOrEqual(1);
      // undici may open one more while an answer's end is still being processed: at most 2 × in flight
      // (client-node 2 alone opens 40).
      expect(server.connections()).toBeLessThanOrEqual(8);
    });
  }
});

describe("a request that dies on a reused keep-alive connection", () => {
  /** Answers the first request of each connection; drops the connection on its second (idle close race). */
  const dropSecond: Handler = (req, res, n) => {
    if (n >= 2) {
      req.socket.destroy();
      return;
    }
    answerList(req, res, n, "");
  };

  it("is sent once more on a new connection", async () => {
    const server = await countingServer(dropSecond);
    const client = createKubeClient(server.connection(), ONE_CONNECTION);
    const namespaces = client.resource(NamespaceResource);
    await namespaces.list(); // connection 1 carries an answer, then idles in the pool
    await expect(namespaces.list()).resolves.toMatchObject({ items: [] }); // dies on 1, answered on 2
    await client.close();
    expect(server.requests).toHaveLength(3);
    expect(server.connections()).toBe(2);
  });

  it("a POST retried this way may meet its own first attempt: 409 AlreadyExists", async () => {
    const stored = new Set<string>();
    const server = await countingServer((req, res, n, body) => {
      if (req.method !== "POST") return dropSecond(req, res, n, body);
      const name = (JSON.parse(body) as { metadata: { name: string } }).metadata.name;
      const exists = stored.has(name);
      stored.add(name);
      if (n >= 2) return void req.socket.destroy(); // stored, but the answer is lost
      res.writeHead(exists ? 409 : 201, { "content-type": "application/json" });
      res.end(
        JSON.stringify(
          exists
            ? {
                kind: "Status",
                status: "Failure",
                reason: "AlreadyExists",
                code: 409,
                message: `namespaces "${name}" already exists`,
              }
            : { kind: "Namespace", metadata: { name } },
        ),
      );
    });
    const client = createKubeClient(server.connection(), ONE_CONNECTION);
    const namespaces = client.resource(NamespaceResource);
    await namespaces.list();
    const error = await namespaces.create({ metadata: { name: "once" } }).catch((e: unknown) => e);
    await client.close();
    expect(error).toBeInstanceOf(KubeApiError);
    expect(error).toMatchObject({ status: 409, reason: "AlreadyExists" });
    expect(server.requests.filter((r) => r.startsWith("POST"))).toHaveLength(2);
  });

  it("is not retried when a fresh connection fails (the server is refusing, not racing)", async () => {
    const server = await countingServer((req) => req.socket.destroy());
    const client = createKubeClient(server.connection());
    const error = await client
      .resource(NamespaceResource)
      .list()
      .catch((e: unknown) => e);
    await client.close();
    expect(error).toBeInstanceOf(KubeConnectionError);
    expect(server.requests).toHaveLength(1);
  });
});

describe("observability", () => {
  it("requests appear on undici's diagnostics channel (the operator's round-trip test and benchmark count them)", async () => {
    const server = await countingServer(answerList);
    const client = createKubeClient(server.connection(), { userAgent: "coditect-test" });
    const seen: string[] = [];
    const see = (message: unknown) => {
      const { request } = message as { request: { method: string; path: string } };
      seen.push(`${request.method} ${request.path}`);
    };
    diagnostics.subscribe("undici:request:create", see);
    try {
      await client.resource(NamespaceResource).list({ labelSelector: "a=b" });
    } finally {
      diagnostics.unsubscribe("undici:request:create", see);
      await client.close();
    }
    expect(seen).toEqual(["GET /api/v1/namespaces?labelSelector=a%3Db"]);
  });
});

describe("answers that are not what the API server sends", () => {
  it("a 2xx answer that is not JSON is a KubeConnectionError quoting it", async () => {
    const server = await countingServer((_req, res) => {
      res.writeHead(200, { "content-type": "text/html" });
      res.end("<html>captive portal</html>");
    });
    const client = createKubeClient(server.connection());
    const error = await client
      .resource(NamespaceResource)
      .list()
      .catch((e: unknown) => e);
    await client.close();
    expect(error).toBeInstanceOf(KubeConnectionError);
    expect((error as Error).message).toContain("answer 200 is not JSON: <html>captive portal</html>");
  });
});

describe("error mapping (pure)", () => {
  it("Retry-After: delta-seconds, an HTTP date, else the Status's details", () => {
    const now = Date.parse("2026-12-06T12:00:00Z");
    expect(retryAfterSeconds("5", undefined, now)).toBe(5);
    expect(retryAfterSeconds(["7"], undefined, now)).toBe(7);
    expect(retryAfterSeconds("Sun, 06 Dec 2026 12:00:30 GMT", undefined, now)).toBe(30);
    expect(retryAfterSeconds(undefined, { details: { retryAfterSeconds: 3 } }, now)).toBe(3);
    expect(retryAfterSeconds("soon", undefined, now)).toBeUndefined();
    expect(retryAfterSeconds(undefined, undefined, now)).toBeUndefined();
  });

  it("a body that is not a Status (a proxy's page) is quoted in the message", () => {
    const error = apiErrorFrom(502, undefined, "<html>Bad Gateway</html>", "GET /api/v1/namespaces");
    expect(error).toMatchObject({ status: 502, reason: undefined, body: undefined });
    expect(error.message).toBe("GET /api/v1/namespaces: HTTP 502: <html>Bad Gateway</html>");
    expect(apiErrorFrom(503, "2", "", "GET /x").message).toBe("GET /x: HTTP 503 with no body");
  });

  it("retries only socket failures on a connection that had carried answers", () => {
    const socketError = (bytesRead?: number) => ({
      code: "UND_ERR_SOCKET",
      socket: bytesRead === undefined ? undefined : { bytesRead },
    });
    expect(isReusedConnectionFailure(socketError(512), false)).toBe(true);
    expect(isReusedConnectionFailure(socketError(0), true)).toBe(false);
    expect(isReusedConnectionFailure({ code: "ECONNRESET" }, true)).toBe(true);
    expect(isReusedConnectionFailure({ code: "ECONNRESET" }, false)).toBe(false);
    expect(isReusedConnectionFailure({ code: "ECONNREFUSED" }, true)).toBe(false);
    expect(
      isReusedConnectionFailure({ code: "UND_ERR_HEADERS_TIMEOUT", socket: { bytesRead: 9 } }, true),
    ).toBe(false);
    expect(isReusedConnectionFailure(new Error("x"), true)).toBe(false);
  });
});
