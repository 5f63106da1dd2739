/**
 * The control plane's one Kubernetes client (issue 18, docs/kubernetes-client.md): typed requests for our
 * custom resources and the few built-in kinds we touch, on undici (pooled keep-alive connections), with the
 * client-side rate limit (QPS/burst, ADR 0262), one retry of a request that failed on a reused connection
 * before any answer (ADR 0311), error mapping (errors.ts) and watches. It does not import
 * @kubernetes/client-node (ADR 0310: the operator's memory).
 */
import { type Clock, systemClock } from "../clock.js";
import type { KubeConnection } from "./connection.js";
import type { KubeList, KubeObject, WatchEvent } from "./objects.js";
import { TypedResourceClient } from "./resource-client.js";
import type { ResourceRef } from "./resources.js";
import { type ClientRateLimit, RequestThrottle } from "./throttle.js";
import { KubeTransport } from "./transport.js";

export type { ClientRateLimit } from "./throttle.js";

export interface KubeClientOptions {
  /** None = unlimited. Watches are not throttled (one long request each). */
  rateLimit?: ClientRateLimit;
  clock?: Clock;
  /** Sent as User-Agent (the audit log's "who"): "coditect-operator", "coditect-billing". */
  userAgent?: string;
  /** Longest wait for one answer (not for watches). Default 30 s. */
  requestTimeoutMs?: number;
  /** Keep-alive connections per origin. Default 32. */
  connections?: number;
}

export interface ListOptions {
  namespace?: string;
  labelSelector?: string;
  fieldSelector?: string;
  limit?: number;
  continue?: string;
}

export interface WatchOptions {
  namespace?: string;
  labelSelector?: string;
  resourceVersion: string;
  /** Default true. */
  allowWatchBookmarks?: boolean;
  /** Server-side end of the watch. */
  timeoutSeconds?: number;
  signal?: AbortSignal;
}

export type PatchType = "merge" | "json" | "strategic";

/** Typed requests for one resource kind. Writes return the object the API server stored. */
export interface ResourceClient<T extends KubeObject> {
  readonly resource: ResourceRef;
  list(options?: ListOptions): Promise<KubeList<T>>;
  /** The object, or null when it does not exist. */
  get(namespace: string | undefined, name: string): Promise<T | null>;
  /** 409 AlreadyExists is thrown as KubeApiError (callers decide whether that is fine). */
  create(object: T): Promise<T>;
  /** PUT with the object's metadata.resourceVersion (409 Conflict when stale). */
  replace(object: T): Promise<T>;
  /** Merge patch by default. */
  patch(namespace: string | undefined, name: string, body: unknown, type?: PatchType): Promise<T>;
  patchStatus(namespace: string | undefined, name: string, body: unknown, type?: PatchType): Promise<T>;
  /** True when deleted, false when it was already gone (404). */
  delete(namespace: string | undefined, name: string): Promise<boolean>;
  /**
   * One watch request: calls `onEvent` for every event (BOOKMARK and ERROR included) until the server ends
   * the stream (resolves), `signal` aborts it (resolves) or the connection fails (rejects). A non-2xx answer
   * to the watch request itself rejects with KubeApiError (410 Gone included).
   */
  watch(options: WatchOptions, onEvent: (event: WatchEvent<T>) => void): Promise<void>;
}

export interface KubeClient {
  readonly connection: KubeConnection;
  resource<T extends KubeObject>(ref: ResourceRef): ResourceClient<T>;
  /** Requests that had to wait for the rate limit (coditect_kube_client_throttled_total). */
  readonly throttled: number;
  /** Closes pooled connections (after requests in flight finish). */
  close(): Promise<void>;
}

export const DEFAULT_REQUEST_TIMEOUT_MS = 30_000;
export const DEFAULT_CONNECTIONS = 32;

/**
 * The client for one API server. Resource clients share its connection pool and rate limit, so create one
 * per process (per identity) and hand it around.
 */
export function createKubeClient(connection: KubeConnection, options: KubeClientOptions = {}): KubeClient {
  const transport = new KubeTransport(connection, {
    userAgent: options.userAgent ?? "coditect",
    requestTimeoutMs: options.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS,
    connections: options.connections ?? DEFAULT_CONNECTIONS,
  });
  const throttle = options.rateLimit
    ? new RequestThrottle(options.rateLimit, options.clock ?? systemClock)
    : undefined;
  return {
    connection,
    resource: <T extends KubeObject>(ref: ResourceRef) =>
      new TypedResourceClient<T>(ref, transport, throttle),
    get throttled() {
      return throttle?.throttled ?? 0;
    },
    close: () => transport.close(),
  };
}
