/**
 * Google Managed Prometheus scraping (ADR 0130): one PodMonitoring per service, in the service's own
 * namespace, selecting its pods by their app labels and scraping /metrics on the named container port.
 * GMP's collectors run in `gmp-system`; the NetworkPolicies (network-policies.ts) admit them on that port.
 * billing's /metrics is on the port the load balancer also reaches, but the Ingress never forwards it and
 * billing refuses it when it arrives through the load balancer (billing/http/public-routes.ts).
 */

/** The PodMonitoring's name is the `job` label of every series it scrapes (the dashboards filter on it). */
export const SCRAPE_JOBS = { billing: "billing", operator: "operator" } as const;
export const SCRAPE_INTERVAL = "30s";
export const METRICS_PATH = "/metrics";

export interface PodMonitoringManifest {
  apiVersion: "monitoring.googleapis.com/v1";
  kind: "PodMonitoring";
  metadata: { name: string; namespace: string; labels: Record<string, string> };
  spec: {
    selector: { matchLabels: Record<string, string> };
    endpoints: { port: string; path: string; interval: string; timeout: string }[];
  };
}

export function podMonitoring(
  job: string,
  namespace: string,
  appLabels: Record<string, string>,
  portName: string,
): PodMonitoringManifest {
  return {
    apiVersion: "monitoring.googleapis.com/v1",
    kind: "PodMonitoring",
    metadata: { name: job, namespace, labels: appLabels },
    spec: {
      selector: { matchLabels: appLabels },
      // The timeout stays below billing's scrape-time database reads giving up (3 s) plus margin.
      endpoints: [{ port: portName, path: METRICS_PATH, interval: SCRAPE_INTERVAL, timeout: "10s" }],
    },
  };
}
