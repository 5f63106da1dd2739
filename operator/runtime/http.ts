/**
 * The operator's probe and metrics endpoint (one port, as controller-runtime's health + metrics servers):
 * - GET /healthz — 200 while every named check passes (e.g. "watches answered recently"), else 500 with
 *   the failing checks; the kubelet restarts a pod whose watches went silent.
 * - GET /readyz  — 200 once caches have synced.
 * - GET /metrics — Prometheus text format.
 */
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import type { Registry } from "prom-client";

/** A probe check: null when fine, otherwise why not. */
export type ProbeCheck = () => string | null;

export interface ProbeServerOptions {
  port: number;
  host?: string;
  registry: Registry;
  liveness: Record<string, ProbeCheck>;
  readiness: Record<string, ProbeCheck>;
}

export class ProbeServer {
  #server?: Server;

  constructor(private readonly options: ProbeServerOptions) {}

  async start(): Promise<number> {
    const server = createServer((req, res) => {
      const path = (req.url ?? "/").split("?")[0];
      if (req.method !== "GET") {
        res.writeHead(405, { "content-type": "text/plain", allow: "GET" }).end("method not allowed\n");
        return;
      }
      if (path === "/healthz" || path === "/readyz") {
        const checks = path === "/healthz" ? this.options.liveness : this.options.readiness;
        const failures = Object.entries(checks)
          .map(([name, check]) => [name, check()] as const)
          .filter(([, problem]) => problem !== null);
        const body = failures.length
          ? `${failures.map(([name, problem]) => `[-]${name} failed: ${problem}`).join("\n")}\n`
          : "ok\n";
        res.writeHead(failures.length ? 500 : 200, { "content-type": "text/plain" }).end(body);
        return;
      }
      if (path === "/metrics") {
        this.options.registry.metrics().then(
          (text) => res.writeHead(200, { "content-type": this.options.registry.contentType }).end(text),
          (error) => res.writeHead(500, { "content-type": "text/plain" }).end(`metrics failed: ${error}\n`),
        );
        return;
      }
      res
        .writeHead(404, { "content-type": "text/plain" })
        .end("not found: try /healthz, /readyz, /metrics\n");
    });
    this.#server = server;
    await new Promise<void>((resolve, reject) => {
      server.once("error", (error) =>
        reject(new Error(`probe server cannot listen on port ${this.options.port}: ${error.message}`)),
      );
      server.listen(this.options.port, this.options.host ?? "0.0.0.0", resolve);
    });
    return (server.address() as AddressInfo).port;
  }

  async stop(): Promise<void> {
    const server = this.#server;
    if (!server) return;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}
