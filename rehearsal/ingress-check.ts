/**
 * The admin surface as the rendered Ingress exposes it: which request paths the load balancer routes to a
 * backend. Admin routes and /metrics must not be routed (they are reachable from inside the cluster only).
 * Pure; Prefix and Exact path types with Kubernetes' matching rules (Prefix matches whole path elements).
 */
import { PUBLIC_ROUTES } from "../billing/http/public-routes.js";
import type { KubeManifest } from "./render.js";

export interface IngressPath {
  host?: string;
  path: string;
  pathType: "Prefix" | "Exact" | "ImplementationSpecific";
  service: string;
  port: number | string;
}

export function ingressPaths(ingress: KubeManifest): IngressPath[] {
  const spec = ingress.spec as {
    defaultBackend?: { service: { name: string; port: { number?: number; name?: string } } };
    rules?: {
      host?: string;
      http?: {
        paths: {
          path?: string;
          pathType: IngressPath["pathType"];
          backend: { service: { name: string; port: { number?: number; name?: string } } };
        }[];
      };
    }[];
  };
  const out: IngressPath[] = [];
  if (spec.defaultBackend) {
    const s = spec.defaultBackend.service;
    out.push({ path: "/", pathType: "Prefix", service: s.name, port: s.port.number ?? s.port.name ?? "" });
  }
  for (const rule of spec.rules ?? []) {
    for (const p of rule.http?.paths ?? []) {
      out.push({
        ...(rule.host ? { host: rule.host } : {}),
        path: p.path ?? "/",
        pathType: p.pathType,
        service: p.backend.service.name,
        port: p.backend.service.port.number ?? p.backend.service.port.name ?? "",
      });
    }
  }
  return out;
}

/** Whether a request path is routed by one of the Ingress paths (GCE treats ImplementationSpecific `/*` as a prefix). */
export function isRouted(paths: IngressPath[], requestPath: string): IngressPath | undefined {
  return paths.find((p) => {
    if (p.pathType === "Exact") return requestPath === p.path;
    const prefix = p.path.replace(/\/\*$/, "").replace(/\/$/, "");
    if (p.pathType === "ImplementationSpecific" && p.path.endsWith("/*")) {
      return requestPath === prefix || requestPath.startsWith(`${prefix}/`);
    }
    if (p.pathType === "ImplementationSpecific") return requestPath === p.path;
    return prefix === "" || requestPath === prefix || requestPath.startsWith(`${prefix}/`);
  });
}

/** Paths that must never be reachable through the Ingress (one example request under each internal prefix). */
export const INTERNAL_PATHS = [
  "/v1/admin/licenses",
  "/v1/admin/licenses/x/revoke",
  "/metrics",
  "/healthz",
  "/readyz",
];

/** One example request per public route billing declares (billing/http/public-routes.ts). */
export const PUBLIC_PATHS = PUBLIC_ROUTES.map((r) =>
  r.pathType === "Prefix" ? `${r.path}/validate` : r.path,
);

export function checkIngress(ingresses: KubeManifest[], publicPaths: string[] = PUBLIC_PATHS): string[] {
  const problems: string[] = [];
  for (const ingress of ingresses) {
    const paths = ingressPaths(ingress);
    for (const internal of INTERNAL_PATHS) {
      const route = isRouted(paths, internal);
      if (route) {
        problems.push(
          `Ingress ${ingress.metadata.namespace}/${ingress.metadata.name} routes ${internal} (via ${route.pathType} "${route.path}" → ${route.service}:${route.port}): admin and metrics must not be public`,
        );
      }
    }
    for (const pub of publicPaths) {
      if (!isRouted(paths, pub)) {
        problems.push(
          `Ingress ${ingress.metadata.namespace}/${ingress.metadata.name} does not route the public path ${pub}`,
        );
      }
    }
  }
  return problems;
}
