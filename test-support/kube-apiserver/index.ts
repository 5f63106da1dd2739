/**
 * The Kubernetes API test server: an in-process stand-in for kube-apiserver covering what this product uses
 * (discovery, OpenAPI, CRDs, namespaces/events/leases/secrets/configmaps, CRUD/patch/watch semantics, status
 * subresource, schema + CEL validation, Table output) plus fault injection. Test infrastructure and the local
 * sandbox's API server — not a production component. See docs/kube-apiserver.md for what it does not do.
 */
import { readdirSync, readFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import type { KubeConfig } from "@kubernetes/client-node";
import { parseAllDocuments } from "yaml";
import { type Clock, systemClock } from "../../lib/clock.js";
import { builtinResourceTypes, INITIAL_NAMESPACES } from "./builtin.js";
import { Controllers } from "./controllers.js";
import { crdResourceType } from "./crd.js";
import { ApiError } from "./errors.js";
import { type FaultState, type HttpContext, handleRequest } from "./http.js";
import { kubeConfigFor, writeKubeconfigFile } from "./kubeconfig.js";
import { ResourceRegistry } from "./registry.js";
import { ObjectStore } from "./store.js";
import type { KubeObject } from "./types.js";
import { createObject, type WriteContext } from "./writes.js";

export interface KubeApiServerOptions {
  /** TCP port on 127.0.0.1; 0 (the default) picks a free one. */
  port?: number;
  /** Watch events retained per resource for resuming watches; older resourceVersions get 410 Gone. Default 1000. */
  watchHistorySize?: number;
  /** Apply every CustomResourceDefinition found in the *.yaml / *.yml / *.json files of these directories at start. */
  crdDirs?: string[];
  /** Source of creationTimestamp/deletionTimestamp and Table ages. Default: the system clock. */
  clock?: Clock;
  /** Interval between BOOKMARK events on watches that allow them. Default 60 s, like kube. */
  bookmarkIntervalMs?: number;
}

export interface KubeApiServerFaults {
  /** Closes every open watch connection (`"reset"` destroys the sockets instead of ending the streams). */
  dropWatches(how?: "close" | "reset"): void;
  /** Answers the next `n` requests (any path) with 429 TooManyRequests or 500 InternalError. */
  failNext(n: number, status: 429 | 500, retryAfterSeconds?: number): void;
  /** Adds this much latency to every request (0 turns it off). */
  setLatency(ms: number): void;
  /**
   * `true` holds every new watch request before it starts (a client that is disconnected for a while);
   * writes meanwhile proceed. `false` lets the held watches start.
   */
  holdWatches(hold: boolean): void;
}

export interface KubeApiServer {
  /** `http://127.0.0.1:PORT` */
  url: string;
  /** A client-node KubeConfig pointing at this server (token auth; any token is accepted). */
  kubeConfig(): KubeConfig;
  /** Writes kubeconfig YAML usable by kubectl (`--kubeconfig` or `KUBECONFIG`). */
  writeKubeconfig(file: string): void;
  faults: KubeApiServerFaults;
  stop(): Promise<void>;
}

function crdDocumentsIn(dir: string): KubeObject[] {
  const docs: KubeObject[] = [];
  for (const file of readdirSync(dir).sort()) {
    if (!/\.(ya?ml|json)$/.test(file)) continue;
    const path = join(dir, file);
    for (const doc of parseAllDocuments(readFileSync(path, "utf8"))) {
      if (doc.errors.length > 0) throw new Error(`cannot parse ${path}: ${doc.errors[0]!.message}`);
      const value = doc.toJS() as KubeObject | null;
      if (value?.kind === "CustomResourceDefinition") docs.push(value);
    }
  }
  return docs;
}

/** Starts a server on 127.0.0.1 and resolves once it is listening. */
export async function startKubeApiServer(opts: KubeApiServerOptions = {}): Promise<KubeApiServer> {
  const historySize = opts.watchHistorySize ?? 1000;
  if (!Number.isInteger(historySize) || historySize < 1) {
    throw new Error(`watchHistorySize must be a positive integer, got ${historySize}`);
  }
  const clock = opts.clock ?? systemClock;
  const store = new ObjectStore(historySize);
  const registry = new ResourceRegistry();
  for (const rt of [...builtinResourceTypes(), crdResourceType]) registry.add(rt);
  const controllers = new Controllers(registry);
  const writes: WriteContext = {
    store,
    clock,
    afterChange: (rt, type, obj) => controllers.afterChange(rt, type, obj),
    orphanDependents: (owner) => controllers.gc.orphanDependents(owner),
  };
  controllers.ctx = writes;
  const faults: FaultState = {
    failuresLeft: 0,
    failureStatus: 500,
    retryAfterSeconds: undefined,
    latencyMs: 0,
    watchGate: undefined,
  };
  let releaseWatches: (() => void) | undefined;
  const ctx: HttpContext = {
    store,
    registry,
    clock,
    writes,
    faults,
    openWatches: new Set(),
    bookmarkIntervalMs: opts.bookmarkIntervalMs ?? 60_000,
  };

  const writeOpts = { fieldValidation: "Strict" as const, dryRun: false };
  const namespaces = registry.lookup("", "v1", "namespaces")!;
  for (const name of INITIAL_NAMESPACES)
    createObject(writes, namespaces, undefined, { metadata: { name } }, writeOpts);
  for (const dir of opts.crdDirs ?? []) {
    for (const crd of crdDocumentsIn(dir)) {
      try {
        createObject(writes, crdResourceType, undefined, crd, writeOpts);
      } catch (error) {
        const why = error instanceof ApiError ? error.message : String(error);
        throw new Error(`CRD ${crd.metadata?.name ?? "<unnamed>"} from ${dir} was rejected: ${why}`);
      }
    }
  }

  const server: Server = createServer((req, res) => void handleRequest(ctx, req, res));
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(opts.port ?? 0, "127.0.0.1", () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  const url = `http://127.0.0.1:${port}`;

  return {
    url,
    kubeConfig: () => kubeConfigFor(url),
    writeKubeconfig: (file) => writeKubeconfigFile(file, url),
    faults: {
      dropWatches(how = "close") {
        for (const close of [...ctx.openWatches]) close(how);
      },
      failNext(n, status, retryAfterSeconds) {
        if (!Number.isInteger(n) || n < 0)
          throw new Error(`failNext: n must be a non-negative integer, got ${n}`);
        faults.failuresLeft = n;
        faults.failureStatus = status;
        faults.retryAfterSeconds = retryAfterSeconds;
      },
      setLatency(ms) {
        faults.latencyMs = Math.max(0, ms);
      },
      holdWatches(hold) {
        if (hold && !faults.watchGate) {
          faults.watchGate = new Promise<void>((resolve) => {
            releaseWatches = resolve;
          });
        } else if (!hold && faults.watchGate) {
          faults.watchGate = undefined;
          releaseWatches?.();
        }
      },
    },
    async stop() {
      faults.watchGate = undefined;
      releaseWatches?.();
      for (const close of [...ctx.openWatches]) close("reset");
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
