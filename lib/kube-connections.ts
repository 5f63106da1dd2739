/**
 * Keep-alive connections to the Kubernetes API for @kubernetes/client-node 2.x.
 *
 * client-node builds a NEW undici Agent for every request whenever the kubeconfig carries TLS settings
 * (a CA, a client certificate, or `skipTLSVerify` — which a plain-http server requires), i.e. in a pod
 * and in every test: each request then opens its own TCP connection (and TLS handshake), and the
 * abandoned agents keep their idle sockets until the server times them out. Measured: 320 requests →
 * 320 connects, over http and https alike (docs/adr/0263).
 *
 * `reuseConnections(kc)` makes that KubeConfig hand out one shared dispatcher per distinct set of
 * connection options (cluster, CA, client certificate): requests reuse pooled keep-alive connections as
 * client-go's transport does. Credentials sent as headers (tokens) are still applied per request, so a
 * rotated service-account token is picked up as before; a changed client certificate or CA gives a new
 * dispatcher. Idempotent: calling it twice on one KubeConfig changes nothing more.
 *
 * A request written onto a pooled socket the server has just closed (an API server restart) fails with
 * UND_ERR_SOCKET instead of being retried as Go's transport does: the operator's runtime retries on its
 * own, and it pools only its own copy (`withSharedConnections`) so that other clients of the caller's
 * KubeConfig are unaffected. Billing's clients wait for that retry (docs/adr/0263).
 */
import type { KubeConfig } from "@kubernetes/client-node";

/** The private client-node method replaced here (present in 2.x; checked at run time). */
interface DispatcherFactory {
  createDispatcher(cluster: unknown, agentOptions: unknown): unknown;
  createDispatcherOptions(cluster: unknown, agentOptions: unknown): unknown;
}

const SHARED = Symbol.for("coditect.kube.sharedDispatchers");
/** Distinct option sets kept; older dispatchers are closed (a certificate rotated away). */
const MAX_DISPATCHERS = 4;

interface Closable {
  close?: () => Promise<void>;
}

/**
 * A copy of `kubeConfig` whose clients share keep-alive connections; the caller's KubeConfig (and every
 * other client made from it) is left as it was.
 */
export function withSharedConnections(kubeConfig: KubeConfig): KubeConfig {
  const copy = new (kubeConfig.constructor as new () => KubeConfig)();
  copy.loadFromOptions({
    clusters: kubeConfig.clusters,
    users: kubeConfig.users,
    contexts: kubeConfig.contexts,
    currentContext: kubeConfig.currentContext,
  });
  return reuseConnections(copy);
}

/** Makes `kubeConfig`'s API clients and watches share keep-alive connections; returns it. */
export function reuseConnections<K extends KubeConfig>(kubeConfig: K): K {
  const target = kubeConfig as unknown as DispatcherFactory & { [SHARED]?: Map<string, unknown> };
  if (target[SHARED]) return kubeConfig;
  if (typeof target.createDispatcher !== "function" || typeof target.createDispatcherOptions !== "function") {
    throw new Error(
      "@kubernetes/client-node has no KubeConfig.createDispatcher: the installed version is not 2.x; update lib/kube-connections.ts",
    );
  }
  const original = target.createDispatcher.bind(target);
  const dispatchers = new Map<string, unknown>();
  target[SHARED] = dispatchers;
  target.createDispatcher = (cluster, agentOptions) => {
    const key = JSON.stringify(target.createDispatcherOptions(cluster, agentOptions));
    const known = dispatchers.get(key);
    if (known !== undefined) {
      // Most recently used last, so the eviction below drops the stalest.
      dispatchers.delete(key);
      dispatchers.set(key, known);
      return known;
    }
    const created = original(cluster, agentOptions);
    if (created === undefined) return undefined; // no TLS settings: fetch's global keep-alive pool is used
    dispatchers.set(key, created);
    if (dispatchers.size > MAX_DISPATCHERS) {
      const [oldestKey, oldest] = dispatchers.entries().next().value as [string, Closable];
      dispatchers.delete(oldestKey);
      // Lets requests in flight finish, then closes its sockets.
      oldest.close?.().catch(() => {});
    }
    return created;
  };
  return kubeConfig;
}
