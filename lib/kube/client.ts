/**
 * The control plane's one Kubernetes client (issue 18; contract, implemented by workstream K-core): typed
 * requests for our custom resources and the few built-in kinds we touch, on undici (pooled keep-alive
 * connections), with the client-side rate limit (QPS/burst, ADR 0262), one retry of a request that failed
 * on a reused connection before any answer, error mapping (errors.ts) and watches. It does not import
 * @kubernetes/client-node (ADR 0310: the operator's memory).
 */
import type { Clock } from "../clock.js";
import type { KubeConnection } from "./connection.js";
import type { KubeList, KubeObject, WatchEvent } from "./objects.js";
import type { ResourceRef } from "./resources.js";

export interface ClientRateLimit {
  /** Sustained requests per second. */
  qps: number;
  /** Requests allowed at once before the rate applies. */
  burst: number;
}

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

/*
 * Contract for the implementation (K-core), so billing and the operator can be written against it now:
 *   lib/kube/client.ts      export function createKubeClient(connection: KubeConnection, options?: KubeClientOptions): KubeClient
 *   lib/kube/conflict.ts    export function retryOnConflict<T>(run: () => Promise<T>, attempts = 5): Promise<T>
 *                           (re-runs `run` — which re-reads and re-writes — on 409 Conflict; AlreadyExists is not retried)
 *   lib/kube/connection.ts  export function loadKubeConnection(settings: KubeConnectionSettings, serviceAccountDir?: string): KubeConnectionSource
 *                           export function connectionFromKubeconfigFile(file: string): KubeConnection
 *                           export function connectionFromKubeconfigYaml(yaml: string, description: string): KubeConnection
 *   test-support/kube-apiserver/kubeconfig.ts
 *                           export function kubeConnectionFor(target: KubeconfigTarget): KubeConnection
 *   lib/kube/errors.ts      KubeApiError, KubeConnectionError, httpStatus, isNotFound, isConflict (done)
 *   lib/kube/objects.ts, lib/kube/resources.ts (done)
 */
