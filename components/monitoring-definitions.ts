/**
 * What Cloud Monitoring shows and alerts on (ADR 0134), as pure data: the dashboard's charts and the alert
 * policies, every one a PromQL query over the metrics billing and the operator export and Google Managed
 * Prometheus collects (docs/observability.md lists them). components/monitoring.ts turns these into
 * resources; components/monitoring.test.ts checks every metric named here is really exported.
 *
 * Several billing replicas report the same database-derived gauges, so those are read with max(), never
 * summed. `up` is the series the collector itself writes per scrape target (job = the PodMonitoring name).
 */
import { SCRAPE_JOBS } from "./control-plane/pod-monitoring.js";

export interface Chart {
  title: string;
  /** PromQL. */
  query: string;
  /** The unit shown on the axis. */
  unit?: string;
}

export interface ChartGroup {
  title: string;
  charts: Chart[];
}

export interface AlertDefinition {
  /** Resource name suffix and the anchor of its runbook entry in docs/operations.md (`alert-<id>`). */
  id: string;
  displayName: string;
  severity: "CRITICAL" | "ERROR" | "WARNING";
  /** One or more PromQL conditions (any firing opens an incident). */
  conditions: { displayName: string; query: string; duration: string }[];
  /** What the on-call person reads first (markdown); the runbook link is added to it. */
  summary: string;
}

export interface Namespaces {
  billing: string;
  operator: string;
}

const WEBHOOK_ROUTE = "/v1/webhooks/stripe";

export function dashboardCharts(): ChartGroup[] {
  return [
    {
      title: "Licenses and sessions",
      charts: [
        { title: "Licenses by state", query: "max by (state) (billing_licenses)" },
        { title: "Active container sessions", query: "max(billing_active_sessions)" },
        {
          title: "Seat refusals by reason (per second)",
          query: "sum by (reason) (rate(billing_seat_refusals_total[5m]))",
        },
        {
          title: "Most sessions one license lost in 10 min",
          query: "max(billing_license_sessions_terminated_recent_max)",
        },
      ],
    },
    {
      title: "Stripe webhooks and billing HTTP",
      charts: [
        {
          title: "Webhook outcomes (per second)",
          query: "sum by (outcome) (rate(billing_stripe_webhook_events_total[5m]))",
        },
        {
          title: "Webhook latency p95",
          query: `histogram_quantile(0.95, sum by (le) (rate(billing_http_request_duration_seconds_bucket{route="${WEBHOOK_ROUTE}"}[5m])))`,
          unit: "s",
        },
        {
          title: "Billing 5xx by route (per second)",
          query: 'sum by (route) (rate(billing_http_request_duration_seconds_count{status=~"5.."}[5m]))',
        },
        { title: "Database reachable (1 = yes)", query: "min(billing_database_up)" },
        {
          title: "Cluster sync failures (per second)",
          query: "sum by (operation) (rate(billing_cluster_sync_failures_total[5m]))",
        },
      ],
    },
    {
      title: "Operator",
      charts: [
        {
          title: "Reconciles by controller and result (per second)",
          query: "sum by (controller, result) (rate(controller_runtime_reconcile_total[5m]))",
        },
        {
          title: "Reconcile errors by controller (per second)",
          query: "sum by (controller) (rate(controller_runtime_reconcile_errors_total[5m]))",
        },
        { title: "Work queue depth", query: "max by (controller) (workqueue_depth)" },
        {
          title: "Reconcile p95",
          query:
            "histogram_quantile(0.95, sum by (le, controller) (rate(controller_runtime_reconcile_time_seconds_bucket[5m])))",
          unit: "s",
        },
        { title: "Leader (1 = a replica holds the lease)", query: "max(leader_election_master_status)" },
      ],
    },
    {
      title: "Cloud Workstations API",
      charts: [
        {
          title: "API errors by method and kind (per second)",
          query: "sum by (method, kind) (rate(coditect_workstations_api_errors_total[5m]))",
        },
        {
          title: "API calls by status code (per second)",
          query: "sum by (code) (rate(coditect_workstations_api_calls_total[5m]))",
        },
        {
          title: "API latency p95 by method",
          query:
            "histogram_quantile(0.95, sum by (le, method) (rate(coditect_workstations_api_call_duration_seconds_bucket[5m])))",
          unit: "s",
        },
      ],
    },
  ];
}

export interface AlertThresholds {
  /** Sessions of one license terminated within 10 minutes that count as "en masse". Default 5. */
  massTermination: number;
}

export const DEFAULT_ALERT_THRESHOLDS: AlertThresholds = { massTermination: 5 };

function down(job: string, namespace: string): string {
  const selector = `{job="${job}", namespace="${namespace}"}`;
  return `sum(up${selector}) == 0 or absent(up${selector})`;
}

export function alertDefinitions(
  ns: Namespaces,
  thresholds: AlertThresholds = DEFAULT_ALERT_THRESHOLDS,
): AlertDefinition[] {
  return [
    {
      id: "billing-down",
      displayName: "Billing is down",
      severity: "CRITICAL",
      conditions: [
        {
          displayName: "no billing pod answers its metrics scrape",
          query: down(SCRAPE_JOBS.billing, ns.billing),
          duration: "300s",
        },
      ],
      summary:
        "No billing replica has answered a scrape for 5 minutes: checkout, webhooks and session validation are failing.",
    },
    {
      id: "operator-down",
      displayName: "Operator is down or has no leader",
      severity: "CRITICAL",
      conditions: [
        {
          displayName: "no operator pod answers its metrics scrape",
          query: down(SCRAPE_JOBS.operator, ns.operator),
          duration: "300s",
        },
        {
          displayName: "no operator replica holds the lease",
          query: `max(leader_election_master_status{namespace="${ns.operator}"}) == 0`,
          duration: "300s",
        },
      ],
      summary: "Workstations are not being created, started, stopped or revoked while this lasts.",
    },
    {
      id: "webhook-failures",
      displayName: "Stripe webhooks are failing",
      severity: "ERROR",
      conditions: [
        {
          displayName: "webhook deliveries fail (Stripe will retry them)",
          query: 'sum(rate(billing_stripe_webhook_events_total{outcome="failed"}[10m])) > 0',
          duration: "600s",
        },
        {
          displayName: "webhook deliveries are rejected (signature or secret mismatch)",
          query: 'sum(rate(billing_stripe_webhook_events_total{outcome="rejected"}[10m])) > 0.01',
          duration: "900s",
        },
      ],
      summary:
        "Payments, renewals or cancellations are not reaching licenses. Stripe retries for three days; fix before then.",
    },
    {
      id: "reconcile-errors",
      displayName: "Operator reconcile errors sustained",
      severity: "ERROR",
      conditions: [
        {
          displayName: "a controller keeps failing to reconcile",
          query: "sum by (controller) (rate(controller_runtime_reconcile_errors_total[5m])) > 0.05",
          duration: "900s",
        },
      ],
      summary: "A controller has failed reconciles for 15 minutes (every 20 s or more often).",
    },
    {
      id: "database-unreachable",
      displayName: "Billing cannot reach PostgreSQL",
      severity: "CRITICAL",
      conditions: [
        {
          displayName: "billing's scrape-time database reads fail",
          query: "min(billing_database_up) == 0",
          duration: "120s",
        },
      ],
      summary: "Billing answers 503 to everything that needs the database; /readyz is failing.",
    },
    {
      id: "mass-session-termination",
      displayName: "A license's sessions were terminated en masse",
      severity: "WARNING",
      conditions: [
        {
          displayName: `${thresholds.massTermination} or more sessions of one license terminated within 10 minutes`,
          query: `max(billing_license_sessions_terminated_recent_max) >= ${thresholds.massTermination}`,
          duration: "0s",
        },
      ],
      summary:
        "One customer just lost many running containers at once (revocation, suspension, downgrade, or a fault).",
    },
  ];
}
