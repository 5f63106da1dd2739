/**
 * Which of billing's routes the internet may reach (issue 11 §3, "admin surface"). The Ingress
 * (components/control-plane/billing.ts) forwards exactly these paths; everything else — the admin API,
 * /metrics, the probes — is reachable only inside the cluster (Service, `kubectl port-forward`).
 * Pure data and Kubernetes' Ingress path matching, so the rehearsal can check a rendered Ingress against it.
 */

export interface IngressRoute {
  path: string;
  /** Kubernetes Ingress pathType: Exact matches the path only; Prefix matches it and paths below it. */
  pathType: "Exact" | "Prefix";
}

/** Customer routes (catalog, checkout), Stripe's webhook, and the container routes (sessions API, JWKS). */
export const PUBLIC_ROUTES: readonly IngressRoute[] = [
  { path: "/v1/products", pathType: "Exact" },
  { path: "/v1/checkout", pathType: "Exact" },
  { path: "/v1/checkout/success", pathType: "Exact" },
  { path: "/v1/webhooks/stripe", pathType: "Exact" },
  { path: "/v1/sessions", pathType: "Prefix" },
  { path: "/.well-known/jwks.json", pathType: "Exact" },
  { path: "/v1/registry/token", pathType: "Exact" }, // issue 15: docker login / the registry token realm
  { path: "/v1/account", pathType: "Prefix" }, // issue 16: the customer API (session cookie + CSRF)
];

/** Routes for operators and the cluster only: never in the Ingress, refused when they come through it. */
export const INTERNAL_ROUTE_PREFIXES: readonly string[] = ["/v1/admin", "/metrics", "/healthz", "/readyz"];

/**
 * Kubernetes Ingress matching: Exact compares the whole path; Prefix compares path elements split by "/"
 * (`/v1/sessions` matches `/v1/sessions` and `/v1/sessions/validate`, not `/v1/sessionsx`).
 */
export function ingressPathMatches(route: IngressRoute, requestPath: string): boolean {
  if (route.pathType === "Exact") return route.path === requestPath;
  const prefix = route.path.replace(/\/+$/, "");
  if (prefix === "") return true;
  return requestPath === prefix || requestPath.startsWith(`${prefix}/`);
}

/** True when `requestPath` is under one of the internal prefixes (element-wise, as above). */
export function isInternalPath(requestPath: string): boolean {
  return INTERNAL_ROUTE_PREFIXES.some((prefix) =>
    ingressPathMatches({ path: prefix, pathType: "Prefix" }, requestPath),
  );
}
