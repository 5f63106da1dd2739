/**
 * The Kubernetes API test server: an in-process stand-in for kube-apiserver covering what this product uses
 * (discovery, OpenAPI, CRDs, namespaces/events/leases/secrets/configmaps, CRUD/patch/watch semantics, status
 * subresource, schema + CEL validation, Table output) plus fault injection, and on request TLS, bearer-token
 * authentication and RBAC (auth/). Test infrastructure and the local sandbox's API server — not a production
 * component. See docs/kube-apiserver.md for what it does not do.
 */
import { randomBytes } from "node:crypto";
import { readdirSync, readFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import { createServer as createTlsServer } from "node:https";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import type { KubeConfig } from "@kubernetes/client-node";
import { parseAllDocuments } from "yaml";
import { type Clock, systemClock } from "../../lib/clock.js";
import { bootstrapClusterRoleBindings, bootstrapClusterRoles } from "./auth/bootstrap.js";
import { issueServiceAccountToken } from "./auth/endpoints.js";
import { type AuthState, type DeniedRequest, storeRbacSource } from "./auth/guard.js";
import { resolveTls, type TlsMaterial } from "./auth/tls.js";
import { ServiceAccountTokens } from "./auth/tokens.js";
import { builtinResourceTypes, INITIAL_NAMESPACES } from "./builtin.js";
import { authResourceTypes } from "./builtin-auth.js";
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
  /**
   * Serve HTTPS like kube-apiserver. `true` generates a CA and a serving certificate (127.0.0.1, ::1,
   * localhost, kubernetes.default.svc[.cluster.local]); or give the PEMs. Default `false`: plain http.
   */
  tls?: boolean | TlsMaterial;
  /**
   * Authenticate every request (bearer token: `adminToken` or a ServiceAccount token; else 401) and
   * authorize it with RBAC (else 403 Forbidden). Default `false`: no authentication, everything allowed.
   */
  rbac?: boolean;
}

export type { DeniedRequest } from "./auth/guard.js";

export interface KubeConfigOptions {
  /** Bearer token of the user (default: the admin token). */
  token?: string;
  /** Namespace of the context (default "default"). */
  namespace?: string;
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
  /** `http://127.0.0.1:PORT`, or `https://…` with `tls`. */
  url: string;
  /** PEM of the CA that signed the serving certificate (undefined without `tls`). */
  caPem: string | undefined;
  /** Bearer token of user `coditect:admin` in group `system:masters` (allowed everything). */
  adminToken: string;
  /** Whether requests are authenticated and authorized (the `rbac` option). */
  rbac: boolean;
  /** A client-node KubeConfig for this server: its CA (no skip-TLS) and the admin token unless `token` is given. */
  kubeConfig(opts?: KubeConfigOptions): KubeConfig;
  /** Writes kubeconfig YAML usable by kubectl (`--kubeconfig` or `KUBECONFIG`): CA data, token, context. */
  writeKubeconfig(file: string, opts?: KubeConfigOptions & { contextName?: string }): void;
  /**
   * A ServiceAccount token, the same JWT the TokenRequest subresource returns (the ServiceAccount must exist;
   * deleting it invalidates the token). Any positive lifetime here; the HTTP API enforces kube's 600 s minimum.
   */
  serviceAccountToken(namespace: string, name: string, expirationSeconds?: number): Promise<string>;
  /** Every request answered 403 so far (with RBAC on), oldest first. */
  deniedRequests(): DeniedRequest[];
  clearDeniedRequests(): void;
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
  for (const rt of [...builtinResourceTypes(), ...authResourceTypes(), crdResourceType]) registry.add(rt);
  const tls = await resolveTls(opts.tls);
  const auth: AuthState = {
    store,
    clock,
    tokens: new ServiceAccountTokens(clock),
    rbac: storeRbacSource(store),
    enforced: opts.rbac === true,
    adminToken: randomBytes(32).toString("base64url"),
    denied: [],
  };
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
    auth,
  };

  const writeOpts = { fieldValidation: "Strict" as const, dryRun: false };
  const namespaces = registry.lookup("", "v1", "namespaces")!;
  for (const name of INITIAL_NAMESPACES)
    createObject(writes, namespaces, undefined, { metadata: { name } }, writeOpts);
  const clusterRoles = registry.lookup("rbac.authorization.k8s.io", "v1", "clusterroles")!;
  const clusterRoleBindings = registry.lookup("rbac.authorization.k8s.io", "v1", "clusterrolebindings")!;
  for (const role of bootstrapClusterRoles()) createObject(writes, clusterRoles, undefined, role, writeOpts);
  for (const binding of bootstrapClusterRoleBindings())
    createObject(writes, clusterRoleBindings, undefined, binding, writeOpts);
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

  const handler = (req: Parameters<typeof handleRequest>[1], res: Parameters<typeof handleRequest>[2]) =>
    void handleRequest(ctx, req, res);
  const server: Server = tls
    ? createTlsServer({ key: tls.keyPem, cert: tls.certPem }, handler)
    : createServer(handler);
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(opts.port ?? 0, "127.0.0.1", () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  const url = `${tls ? "https" : "http"}://127.0.0.1:${port}`;
  const caPem = tls?.caPem;
  const target = (o: KubeConfigOptions & { contextName?: string } = {}) => ({
    url,
    caPem,
    token: o.token ?? auth.adminToken,
    ...(o.namespace ? { namespace: o.namespace } : {}),
    ...(o.contextName ? { contextName: o.contextName } : {}),
  });

  return {
    url,
    caPem,
    adminToken: auth.adminToken,
    rbac: auth.enforced,
    kubeConfig: (o) => kubeConfigFor(target(o)),
    writeKubeconfig: (file, o) => writeKubeconfigFile(file, target(o)),
    async serviceAccountToken(namespace, name, expirationSeconds = 3600) {
      return (await issueServiceAccountToken(auth, namespace, name, expirationSeconds)).token;
    },
    deniedRequests: () => auth.denied.map((d) => ({ ...d })),
    clearDeniedRequests() {
      auth.denied.length = 0;
    },
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
