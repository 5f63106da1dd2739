/**
 * The dashboard and alert policies as the engine would receive them (recording harness), checked against
 * what the services really export: every metric a query names must be registered by billing
 * (billing/ops/metrics.ts, billing/ops/state-metrics.ts) or the operator (operator/runtime/metrics.ts).
 */
import { readFileSync } from "node:fs";
import { Registry } from "prom-client";
import { beforeAll, describe, expect, it } from "vitest";
import { metricsFor } from "../billing/ops/metrics.js";
import { routeTemplate } from "../billing/ops/request-log.js";
import { registerStateMetrics } from "../billing/ops/state-metrics.js";
import { ManualClock } from "../lib/clock.js";
import { OperatorMetrics } from "../operator/runtime/metrics.js";
import { CONTROL_PLANE_WORKLOADS } from "../stacks/infrastructure.js";
import { type Recording, startRecording } from "../stacks/plan/harness.js";
import { Monitoring, runbookAnchor } from "./monitoring.js";
import { alertDefinitions, dashboardCharts } from "./monitoring-definitions.js";

/** Series the collector writes itself for every scrape target. */
const COLLECTOR_SERIES = new Set(["up"]);
const PROMQL_KEYWORDS = new Set([
  "by",
  "without",
  "on",
  "ignoring",
  "group_left",
  "group_right",
  "bool",
  "offset",
  "and",
  "or",
  "unless",
]);

/** Metric names a PromQL expression selects (not functions, label names, label values or durations). */
function metricNamesIn(query: string): string[] {
  const stripped = query
    .replace(/"(?:[^"\\]|\\.)*"/g, '""')
    .replace(/\{[^}]*\}/g, " ")
    .replace(/\[[^\]]*\]/g, " ")
    .replace(/\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g, " ");
  const names = new Set<string>();
  for (const match of stripped.matchAll(/[a-zA-Z_:][a-zA-Z0-9_:]*/g)) {
    const after = stripped.slice(match.index! + match[0].length).trimStart();
    if (after.startsWith("(") || PROMQL_KEYWORDS.has(match[0])) continue;
    names.add(match[0]);
  }
  return [...names];
}

/** name → type of every metric family billing and the operator register. */
function exportedFamilies(): Map<string, string> {
  const billing = new Registry();
  metricsFor(billing);
  registerStateMetrics(
    billing,
    {
      query: () => Promise.reject(new Error("not scraped")),
      connect: () => Promise.reject(new Error("no")),
    } as never,
    new ManualClock(),
  );
  const families = new Map<string, string>();
  for (const registry of [billing, new OperatorMetrics().registry]) {
    for (const metric of registry.getMetricsAsArray()) {
      const { name, type } = metric as unknown as { name: string; type: string };
      families.set(name, type);
    }
  }
  return families;
}

/** Names in `names` that no service exports (histogram _bucket/_sum/_count count as their family). */
function unexported(names: string[], families: Map<string, string>): string[] {
  return names.filter((name) => {
    if (COLLECTOR_SERIES.has(name) || families.has(name)) return false;
    const base = name.replace(/_(bucket|sum|count)$/, "");
    return !(base !== name && families.get(base) === "histogram");
  });
}

const namespaces = {
  billing: CONTROL_PLANE_WORKLOADS.billing.namespace,
  operator: CONTROL_PLANE_WORKLOADS.operator.namespace,
};

let rec: Recording;
beforeAll(async () => {
  rec = await startRecording({ project: "coditect-control-plane", stack: "test" });
  new Monitoring("mon", {
    project: "proj-test-1",
    namespaces,
    docsBaseUrl: "https://docs.example.test/repo",
  });
  new Monitoring("quiet", { project: "proj-test-1", namespaces });
  await rec.settle();
});

type Condition = {
  displayName: string;
  conditionPrometheusQueryLanguage: { query: string; duration: string };
};
type Policy = {
  displayName: string;
  severity: string;
  conditions: Condition[];
  documentation: { content: string; links?: { url: string }[] };
};
const policies = (component: string) =>
  rec
    .ofType("gcp:monitoring/alertPolicy:AlertPolicy")
    .filter((r) => r.name.startsWith(`${component}-`))
    .map((r) => ({ name: r.name, ...(r.inputs as unknown as Policy) }));
const dashboardQueries = () => {
  const json = JSON.parse(
    rec.get("gcp:monitoring/dashboard:Dashboard", "mon-dashboard").inputs.dashboardJson as string,
  );
  return (
    json.mosaicLayout.tiles as {
      widget: { xyChart?: { dataSets: { timeSeriesQuery: { prometheusQuery: string } }[] } };
    }[]
  )
    .flatMap((t) => t.widget.xyChart?.dataSets ?? [])
    .map((d) => d.timeSeriesQuery.prometheusQuery);
};

describe("Monitoring", () => {
  const families = exportedFamilies();

  it("finds a metric nobody exports (the check below can fail)", () => {
    const names = metricNamesIn('sum by (reason) (rate(billing_seat_refusal_total{reason="x"}[5m])) > 0');
    expect(names).toEqual(["billing_seat_refusal_total"]);
    expect(unexported(names, families)).toEqual(["billing_seat_refusal_total"]);
    expect(unexported(["billing_licenses_bucket"], families)).toEqual(["billing_licenses_bucket"]);
    expect(unexported(["billing_http_request_duration_seconds_bucket", "up"], families)).toEqual([]);
  });

  it("charts licenses by state, sessions, refusals, webhooks, reconciles and the Workstations API — only metrics the services export", () => {
    const queries = dashboardQueries();
    expect(queries).toHaveLength(dashboardCharts().flatMap((g) => g.charts).length);
    const named = new Set(queries.flatMap(metricNamesIn));
    for (const needed of [
      "billing_licenses",
      "billing_active_sessions",
      "billing_seat_refusals_total",
      "billing_stripe_webhook_events_total",
      "billing_http_request_duration_seconds_bucket",
      "controller_runtime_reconcile_total",
      "controller_runtime_reconcile_errors_total",
      "workqueue_depth",
      "coditect_workstations_api_errors_total",
    ]) {
      expect(named, needed).toContain(needed);
    }
    expect(unexported([...named], families)).toEqual([]);
  });

  it("filters the webhook charts on the route template billing records", () => {
    const webhook = routeTemplate("/v1/webhooks/stripe", "/stripe");
    expect(dashboardQueries().some((q) => q.includes(`route="${webhook}"`))).toBe(true);
  });

  it("alerts on billing/operator down, webhook failures, reconcile errors, the database and mass terminations", () => {
    const alerts = policies("mon");
    expect(alerts.map((a) => a.name).sort()).toEqual([
      "mon-billing-down",
      "mon-database-unreachable",
      "mon-mass-session-termination",
      "mon-operator-down",
      "mon-reconcile-errors",
      "mon-webhook-failures",
    ]);
    const queries = alerts.flatMap((a) => a.conditions.map((c) => c.conditionPrometheusQueryLanguage.query));
    expect(unexported([...new Set(queries.flatMap(metricNamesIn))], families)).toEqual([]);
    // The down alerts select the PodMonitorings' jobs in the services' namespaces.
    expect(queries).toContain(
      'sum(up{job="billing", namespace="coditect-billing"}) == 0 or absent(up{job="billing", namespace="coditect-billing"})',
    );
  });

  it("links every alert to its runbook entry in docs/operations.md", () => {
    const operations = readFileSync("docs/operations.md", "utf8");
    const anchors = new Set(
      [...operations.matchAll(/^#{2,4} (.+)$/gm)].map((m) =>
        m[1]!
          .trim()
          .toLowerCase()
          .replace(/[^\p{L}\p{N}\s-]/gu, "")
          .replace(/\s/g, "-"),
      ),
    );
    for (const alert of alertDefinitions(namespaces)) {
      const anchor = runbookAnchor(alert);
      expect(anchors, `docs/operations.md has no heading for #${anchor}`).toContain(anchor);
      const linked = policies("mon").find((p) => p.name === `mon-${alert.id}`)!;
      expect(linked.documentation.links).toEqual([
        { displayName: "Runbook", url: `https://docs.example.test/repo/docs/operations.md#${anchor}` },
      ]);
      const plain = policies("quiet").find((p) => p.name === `quiet-${alert.id}`)!;
      expect(plain.documentation.content).toContain(`docs/operations.md#${anchor}`);
      expect(plain.documentation.links).toBeUndefined();
    }
  });
});
